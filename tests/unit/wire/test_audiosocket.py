"""AudioSocket frames (pure encoding and parsing) and the pure parts of speech input."""

from __future__ import annotations

import uuid

import pytest

from ivr.speech_input import Heard, Utterance, match_phrase, parse_vosk_result
from wire.audiosocket import (
    HANGUP_FRAME,
    Audio,
    Dtmf,
    Frame,
    FrameDecoder,
    FrameError,
    Hangup,
    Ignored,
    Kind,
    PeerError,
    encode_audio,
    encode_dtmf,
    encode_frame,
    encode_uuid,
    interpret,
    parse_uuid,
)

pytestmark = pytest.mark.unit

STREAM = uuid.UUID("0b7ba4c8-3c5a-4b8e-9a57-2f9c1e6d1a01")


def test_frames_are_kind_big_endian_length_and_payload() -> None:
    assert HANGUP_FRAME == b"\x00\x00\x00"
    assert encode_dtmf("5") == b"\x03\x00\x015"
    assert encode_uuid(STREAM) == b"\x01\x00\x10" + STREAM.bytes
    assert encode_audio(b"\x01\x02" * 320) == b"\x12\x02\x80" + b"\x01\x02" * 320
    assert encode_audio(b"\x00\x00" * 160, 8000)[:3] == b"\x10\x01\x40"
    with pytest.raises(ValueError):
        encode_frame(Kind.SLIN16, b"x" * 0x10000)


def test_the_decoder_splits_frames_that_arrive_in_one_read_or_in_pieces() -> None:
    wire = encode_uuid(STREAM) + encode_audio(b"\x00\x01" * 320) + encode_dtmf("#") + HANGUP_FRAME
    decoder = FrameDecoder()
    assert [f.kind for f in decoder.feed(wire)] == [0x01, 0x12, 0x03, 0x00]
    assert decoder.pending == 0

    frames: list[Frame] = []
    for i in range(0, len(wire), 7):
        frames += decoder.feed(wire[i : i + 7])
    assert [f.kind for f in frames] == [0x01, 0x12, 0x03, 0x00]
    assert frames[1].payload == b"\x00\x01" * 320

    assert decoder.feed(b"\x12\x02") == [] and decoder.pending == 2


def test_the_first_frame_must_be_a_16_byte_uuid() -> None:
    assert parse_uuid(Frame(0x01, STREAM.bytes)) == STREAM
    with pytest.raises(FrameError, match="UUID frame first"):
        parse_uuid(Frame(0x12, b"\x00\x00"))
    with pytest.raises(FrameError, match="3 bytes"):
        parse_uuid(Frame(0x01, b"abc"))


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (Frame(0x10, b"\x00\x00" * 160), Audio(b"\x00\x00" * 160, 8000)),
        (Frame(0x12, b"\x00\x00" * 320), Audio(b"\x00\x00" * 320, 16000)),
        (Frame(0x16, b"\x00\x00"), Audio(b"\x00\x00", 48000)),
        (Frame(0x03, b"7"), Dtmf("7")),
        (Frame(0x03, b"*"), Dtmf("*")),
        (Frame(0x00, b""), Hangup()),
        (Frame(0xFF, b"\x02"), PeerError(2)),
        (Frame(0xFF, b""), PeerError(None)),
        (Frame(0x12, b"\x00\x00\x00"), Ignored(0x12, "odd audio payload length 3")),
        (Frame(0x03, b"xy"), Ignored(0x03, "bad DTMF payload b'xy'")),
        (Frame(0x03, b"\xff"), Ignored(0x03, "bad DTMF payload b'\\xff'")),
        (Frame(0x01, STREAM.bytes), Ignored(0x01, "a second UUID frame")),
        (Frame(0x42, b"??"), Ignored(0x42, "unknown kind")),
    ],
)
def test_frames_become_typed_events(frame: Frame, event: object) -> None:
    assert interpret(frame) == event


def test_an_utterance_matches_a_phrase_as_the_menu_spelled_it() -> None:
    phrases = ["네", "아니요", "상담원 연결"]
    assert match_phrase(Utterance("네", 0.9), phrases) == Heard("speech", "네", 0.9)
    assert match_phrase(Utterance("상담원  연결"), phrases) == Heard("speech", "상담원 연결")
    assert match_phrase(Utterance("[unk]"), phrases) is None
    assert match_phrase(Utterance("네 네"), phrases) is None
    assert match_phrase(None, phrases) is None


def test_vosk_results_become_utterances_with_the_mean_word_confidence() -> None:
    result = '{"result": [{"conf": 1.0, "word": "상담원"}, {"conf": 0.5, "word": "연결"}],'
    result += ' "text": "상담원 연결"}'
    assert parse_vosk_result(result) == Utterance("상담원 연결", 0.75)
    assert parse_vosk_result('{"text": "네"}') == Utterance("네", None)
    assert parse_vosk_result('{"text": ""}') is None
