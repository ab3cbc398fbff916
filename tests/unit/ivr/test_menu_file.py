from pathlib import Path

import pytest

from ivr.menu import MenuError, load_menu_tree

pytestmark = pytest.mark.unit


def test_default_tree_loads_with_both_languages():
    tree = load_menu_tree()
    assert tree.start == "language"
    assert set(tree.menus["language"].options) == {"1", "2"}
    assert all(p.zh and p.en for p in tree.all_prompts())


def test_a_menu_pointing_nowhere_is_refused_at_start_up(tmp_path: Path):
    bad = tmp_path / "menu.yaml"
    text = (Path(__file__).parents[3] / "ivr/menus/hotline.yaml").read_text()
    bad.write_text(text.replace("goto: main", "goto: nowhere"))
    with pytest.raises(MenuError, match="unknown 'nowhere'"):
        load_menu_tree(bad)


def test_a_missing_menu_file_says_so(tmp_path: Path):
    with pytest.raises(MenuError, match="menu file"):
        load_menu_tree(tmp_path / "absent.yaml")
