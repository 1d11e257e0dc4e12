"""`make test`, `make demo` and `.ci/run` install each missing Debian package the site build needs, not only
when `jekyll` itself is missing: a machine with jekyll but without jekyll-redirect-from gets the plugin.
Checked with stand-ins for dpkg-query and apt-get (nothing is installed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_system_deps(tmp_path: Path, installed: set[str]) -> list[str]:
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\n"  # dpkg-query -W -f=${Status} PACKAGE
        f'case " {" ".join(sorted(installed))} " in *" $3 "*) echo "install ok installed";; *) exit 1;; esac\n'
    )
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    proc = subprocess.run(["bash", str(ROOT / ".ci/system-deps")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return log.read_text().splitlines() if log.exists() else []


def test_jekyll_without_the_redirect_plugin_gets_the_plugin(tmp_path):
    everything = {"jekyll", "jekyll-theme-minima", "ruby-jekyll-redirect-from", "ruby-jekyll-feed",
                  "ruby-jekyll-seo-tag", "ruby-jekyll-sitemap", "chromium"}  # fmt: skip
    calls = run_system_deps(tmp_path, everything - {"ruby-jekyll-redirect-from"})
    install = [c for c in calls if c.startswith("install")]
    assert install and install[0].split()[-1] == "ruby-jekyll-redirect-from", calls
    assert "jekyll " not in install[0] + " "  # what is there is not installed again


def test_nothing_missing_installs_nothing(tmp_path):
    everything = {"jekyll", "jekyll-theme-minima", "ruby-jekyll-redirect-from", "ruby-jekyll-feed",
                  "ruby-jekyll-seo-tag", "ruby-jekyll-sitemap", "chromium"}  # fmt: skip
    assert run_system_deps(tmp_path, everything) == []


def test_the_makefile_and_ci_run_it():
    makefile = (ROOT / "Makefile").read_text()
    jekyll_target = makefile.split("\njekyll:", 1)[1].split("\n\n", 1)[0]
    assert "bash .ci/system-deps" in jekyll_target
    assert "test: setup jekyll" in makefile and "demo: setup jekyll" in makefile
    assert "bash .ci/system-deps" in (ROOT / ".ci/run").read_text()
