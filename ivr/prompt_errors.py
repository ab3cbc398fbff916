"""The error of a prompt that cannot be rendered, apart from the renderer (:mod:`ivr.prompts`)
so that the code that plays prompts catches it without importing the TTS."""


class PromptError(Exception):
    """A prompt could not be rendered (after every retry)."""
