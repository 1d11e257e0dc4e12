"""Regenerate the golden conversion files, on purpose only:  python tests/regen_golden.py

Then read the diff (git diff tests/golden) before committing: the goldens are the spec."""

from golden_cases import CASES, GOLDEN, outputs

for case in CASES:
    for name, text in outputs(case).items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
    print("wrote", case)
