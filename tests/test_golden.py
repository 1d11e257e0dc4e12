"""Golden conversion files: tests/golden/<case>.html -> <case>.md (Markdown) and <case>.out.html (HTML mode).

Regenerate on purpose with `python tests/regen_golden.py`, then review the diff."""

import pytest

from golden_cases import CASES, GOLDEN, outputs


def test_there_are_golden_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    for name, text in outputs(case).items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), name
