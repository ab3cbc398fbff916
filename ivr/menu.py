"""Menu trees are data: a YAML file validated once at start-up into these models."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


class MenuError(Exception):
    """The menu file is missing or invalid; raised at start-up."""


class Prompt(BaseModel):
    zh: str
    en: str

    def text(self, language: Language) -> str:
        return self.zh if language == "zh" else self.en


class Option(BaseModel):
    goto: str | None = None
    flow: str | None = None
    language: Language | None = None
    person: bool = False
    service: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Option:
        targets = [self.goto is not None, self.flow is not None, self.person]
        if sum(targets) != 1:
            raise ValueError("an option needs exactly one of `goto`, `flow` or `person: true`")
        return self


class Menu(BaseModel):
    prompt: Prompt
    options: dict[str, Option]
    # Spoken choices, where speech input is on for the call's language: phrase -> option key.
    speech: dict[Language, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys_are_digits(self) -> Menu:
        for key in self.options:
            if key not in "0123456789#" or len(key) != 1:
                raise ValueError(f"option key {key!r} is not a single keypad digit")
        for phrases in self.speech.values():
            for phrase, key in phrases.items():
                if key not in self.options and key != "0":
                    raise ValueError(f"spoken {phrase!r} names no option ({key!r})")
        return self


class SystemPrompts(BaseModel):
    invalid: Prompt
    no_input: Prompt
    to_person: Prompt
    goodbye: Prompt


class MenuTree(BaseModel):
    start: str
    retries: int = Field(3, ge=1, le=9)
    digit_timeout_ms: int = Field(5000, ge=1000, le=30000)
    inter_digit_timeout_ms: int = Field(3000, ge=500, le=30000)
    prompts: SystemPrompts
    menus: dict[str, Menu]
    texts: dict[str, Prompt] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _targets_exist(self) -> MenuTree:
        if self.start not in self.menus:
            raise ValueError(f"start menu {self.start!r} is not defined")
        for name, menu in self.menus.items():
            for key, option in menu.options.items():
                if option.goto is not None and option.goto not in self.menus:
                    raise ValueError(
                        f"menu {name!r} option {key!r} goes to unknown {option.goto!r}"
                    )
        return self

    @model_validator(mode="after")
    def _system_texts(self) -> MenuTree:
        """The retry reasons are texts too, so flows can say them."""
        for key in ("invalid", "no_input"):
            self.texts.setdefault(key, getattr(self.prompts, key))
        return self

    def all_prompts(self) -> list[Prompt]:
        system = [
            self.prompts.invalid,
            self.prompts.no_input,
            self.prompts.to_person,
            self.prompts.goodbye,
        ]
        static = [t for t in self.texts.values() if "{" not in t.zh + t.en]
        return system + [menu.prompt for menu in self.menus.values()] + static


DEFAULT_MENU_FILE = Path(__file__).with_name("menus") / "hotline.yaml"


def load_menu_tree(path: Path = DEFAULT_MENU_FILE) -> MenuTree:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return MenuTree.model_validate(data)
    except OSError as exc:
        raise MenuError(f"menu file {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise MenuError(f"menu file {path} is invalid: {exc}") from exc
