import pytest

from ivr.pinyin import to_pinyin

pytestmark = pytest.mark.unit


def test_characters_become_numbered_pinyin_with_punctuation_kept():
    assert to_pinyin("普通话服务请按一。") == "pu3 tong1 hua4 fu2 wu4 qing3 an4 yi1."
    assert to_pinyin("谢谢，再见！") == "xie4 xie4, zai4 jian4!"


def test_money_and_digits_read_in_chinese():
    assert to_pinyin("一万零二百元") == "yi1 wan4 ling2 er4 bai3 yuan2"
    assert to_pinyin("按2") == "an4 er4"


def test_latin_letters_pass_through():
    assert to_pinyin("工号F A 幺零") == "gong1 hao4 F A yao1 ling2"


def test_chinese_names_are_romanised_for_english_callers():
    from ivr.pinyin import romanize

    assert romanize("孙浩") == "Sun Hao"
    assert romanize("上海分公司") == "Shang Hai Fen Gong Si"
    assert romanize("Alice Chen") == "Alice Chen"
