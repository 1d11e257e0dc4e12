"""The benchmark on the real shape (not a timed test):  python bench/realistic.py [--posts 1000] [--jobs 8]

A generated Blogger blog served over **HTTPS** (a CA made here, added to certifi's bundle and handed to the
tool through REQUESTS_CA_BUNDLE) under its real host names: the blog at ``https://bench.blogspot.com``, its
feed paged through real-shaped ``rel=next`` links on ``www.blogger.com`` (150 a page), and its images spread
over the hosts of real Blogger posts (``blogger.googleusercontent.com`` for most, ``1.bp.blogspot.com`` ...
``4.bp.blogspot.com`` for older ones). Every name resolves to its own loopback address (127.0.0.2 and up,
port 443) through a ``sitecustomize`` that only the measured process loads; every request waits
``--latency`` seconds.

Measured in one run, as ratios: the full migration against the ideal (requests x latency / jobs), ``--jobs 1``
against ``--jobs N``, a no-op resync (time share and request count), peak RSS and the tool's own CPU time.
Needs root (port 443 on loopback addresses) and openssl.

``--platform tistory``: the same over a generated Tistory blog at ``https://bench.tistory.com`` (its sitemap,
pages at ``--delay`` = ``tistory.delay``, comments through the mobile JSON endpoints, signed originals on
``blog.kakaocdn.net`` that answer only with the blog's Referer, old ``t1.daumcdn.net/cfile`` images): the first
migration and a no-op resync against their bound, the larger of (requests to the blog x delay) and (all
requests x latency / jobs).

``BENCH_LOOPBACK=127.0.1.`` puts the servers on 127.0.1.2 and up instead (two benches side by side, or one
beside a server someone else keeps on 127.0.0.x:443).

``BENCH_PYSPY=run-{n}.svg`` (or ``.txt`` for py-spy's raw stacks; ``BENCH_PYSPY_GIL=1`` for the thread holding
the GIL only) records a py-spy profile of each measured run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures"), str(ROOT / "bench")]


from run import BODY, TreeRss, installed_env, png, print_rows  # noqa: E402
from server import FixtureBlog, FixtureServer  # noqa: E402
from tistory_site import TistoryBlog  # noqa: E402

BLOG_HOST = "bench.blogspot.com"
CDN_HOSTS = ["blogger.googleusercontent.com", "1.bp.blogspot.com", "2.bp.blogspot.com", "3.bp.blogspot.com",
             "4.bp.blogspot.com"]
HOSTS = [BLOG_HOST, "www.blogger.com", *CDN_HOSTS]
# the Tistory variant: the blog, Kakao's CDN (signed /dna/ originals), the old Daum CDN (cfile) and its thumbnails
T_BLOG_HOST = "bench.tistory.com"
T_CDN_HOSTS = ["blog.kakaocdn.net", "t1.daumcdn.net", "img1.daumcdn.net"]
ALL_HOSTS = [*HOSTS, T_BLOG_HOST, *T_CDN_HOSTS]



def image_url(i: int, suffix: str, size: str) -> str:
    """Real Blogger shapes: most posts on googleusercontent (path tokens, or ``=sN`` for widget uploads),
    every fourth post (an older one) on N.bp.blogspot.com."""
    key = f"k{i}{suffix}"
    if i % 4 == 3:
        return f"https://{1 + (i + 'abc'.index(suffix)) % 4}.bp.blogspot.com/-AbCdEf/XyZ/AAAAAAAAAAA/{key}/{size}/{suffix}.png"
    if suffix == "c":
        return f"https://blogger.googleusercontent.com/img/a/{key}={size}"
    return f"https://blogger.googleusercontent.com/img/b/R29vZ2xl/{key}/{size}/{suffix}.png"


def make_blog(n: int, images_dir: Path) -> FixtureBlog:
    blog = FixtureBlog()
    blog.page_cap = 150
    blog.next_links = "all"
    blog.comments = []
    blog.entries = []
    images_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        day = 1 + i % 28
        html = BODY.format(i=i)  # bench/run.py's post, its images moved to the hosts real posts use
        for old, new in ((f"@IMG@/img/b/R29vZ2xl/k{i}a/s1600/a.png", image_url(i, "a", "s1600")),
                         (f"@IMG@/img/b/R29vZ2xl/k{i}a/s320/a.png", image_url(i, "a", "s320")),
                         (f"@IMG@/img/b/R29vZ2xl/k{i}b/s640/b.png", image_url(i, "b", "s640")),
                         (f"@IMG@/img/a/k{i}c=s400", image_url(i, "c", "s400"))):
            html = html.replace(old, new)
        blog.entries.append({
            "id": str(7_000_000_000_000_000_000 + i), "kind": "post", "status": "live",
            "title": f"Benchmark post {i}", "published": f"2020-{1 + i % 12:02d}-{day:02d}T10:00:00.000+09:00",
            "updated": f"2020-{1 + i % 12:02d}-{day:02d}T10:00:00.000+09:00",
            "path": f"/2020/{1 + i % 12:02d}/bench-{i}.html", "labels": ["bench", f"group {i % 10}"], "html": html,
        })
        for suffix in "abc":
            path = images_dir / f"k{i}{suffix}.png"
            path.write_bytes(png(i * 3 + "abc".index(suffix)))
            blog.images[f"k{i}{suffix}"] = path
    return blog


def make_certs(tmp: Path) -> tuple[Path, Path, Path]:
    """(CA bundle, server certificate, server key): one certificate for every host name, signed by a CA made
    here. The bundle handed to the tool is certifi's (what requests uses on a real machine, ~150 roots)
    with that CA appended: a one-certificate bundle would hide what loading a real one costs."""
    ca_key, ca, key, csr, cert = (tmp / n for n in ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=migrator bench CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={BLOG_HOST}")
    ext = tmp / "ext.cnf"
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{h}" for h in ALL_HOSTS) + "\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    import certifi

    bundle = tmp / "bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n" + ca.read_bytes())
    return bundle, cert, key


SITECUSTOMIZE = '''
import os, socket
_real = socket.getaddrinfo
_map = dict(p.split("=") for p in os.environ["MIGRATOR_BENCH_HOSTS"].split(","))
def getaddrinfo(host, port, *a, **k):
    ip = _map.get(str(host).rstrip(".").lower())
    return _real(ip if ip else host, port, *a, **k)
socket.getaddrinfo = getaddrinfo
'''


class Web:
    """One TLS server per host name, each on its own loopback address, all answering from one fixture."""

    def __init__(self, blog: FixtureBlog | TistoryBlog, latency: float, cert: Path, key: Path, *,
                 hosts: list[str] = HOSTS, img_url: str = "") -> None:  # fmt: skip
        self.fixture = FixtureServer(blog, faults={}, latency=latency)
        self.fixture.httpd.server_close()  # only its handler and its log are used
        self.fixture.url = f"https://{hosts[0]}"
        self.fixture.img_url = img_url
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        base = os.environ.get("BENCH_LOOPBACK", "127.0.0.")  # 127.0.0.2 and up, one per host name
        self.ips = {h: f"{base}{2 + n}" for n, h in enumerate(hosts)}
        self.servers = []
        for ip in self.ips.values():
            httpd = ThreadingHTTPServer((ip, 443), self.fixture._handler(), bind_and_activate=False)
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
            httpd.server_bind()
            httpd.server_activate()
            httpd.daemon_threads = True
            threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self.servers.append(httpd)

    @property
    def log(self) -> list[str]:
        return self.fixture.log

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


CONFIG = """allow_private_network: true
timezone: Asia/Seoul
comments: false
"""


CPU: dict[str, float] = {}  # the measured process's CPU seconds (user + system) of its last run


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "migrator", *args, "-q"]
    if os.environ.get("BENCH_PYSPY"):  # a py-spy profile of each run: BENCH_PYSPY=run-{n}.svg (n = 1, 2...)
        CPU["runs"] = CPU.get("runs", 0) + 1
        out = os.environ["BENCH_PYSPY"].format(n=int(CPU["runs"]))
        fmt = "raw" if out.endswith(".txt") else "flamegraph"
        gil = ["--gil"] if os.environ.get("BENCH_PYSPY_GIL") else []  # only the thread holding the GIL
        cmd = [str(Path(sys.executable).parent / "py-spy"), "record", *gil, "-f", fmt, "-r", "200", "-o", out, "--", *cmd]
    if os.environ.get("BENCH_CPROFILE"):  # cProfile of each run (main thread): BENCH_CPROFILE=run-{n}.prof
        CPU["runs"] = CPU.get("runs", 0) + 1
        cmd[1:1] = ["-m", "cProfile", "-o", os.environ["BENCH_CPROFILE"].format(n=int(CPU["runs"]))]
    proc = subprocess.Popen(cmd, env=env)
    tree = TreeRss(proc.pid)  # the worker processes' memory counts too
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"migrator {' '.join(args)} failed")
    CPU["last"] = usage.ru_utime + usage.ru_stime
    CPU["sys"] = usage.ru_stime
    return seconds, tree.stop(usage.ru_maxrss)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--skip-jobs-1", action="store_true", help="leave out the --jobs 1 comparison (slow)")
    ap.add_argument("--convert-workers", type=int, default=None, metavar="N",
                    help="the runs' convert_workers (default: the tool's own choice; 0: the main process only)")
    ap.add_argument("--noop-runs", type=int, default=1,
                    help="run the no-op resync this many times and report the median (and the range)")
    ap.add_argument("--platform", choices=("blogger", "tistory"), default="blogger",
                    help="tistory: a Tistory blog over HTTPS instead (sitemap, pages at tistory.delay, signed "
                         "images on Kakao's CDN, comments)")  # fmt: skip
    ap.add_argument("--delay", type=float, default=0.05, help="tistory.delay for the Tistory variant (seconds)")
    args = ap.parse_args()
    if shutil.which("openssl") is None or os.geteuid() != 0:
        print("bench/realistic.py needs openssl and root (port 443 on loopback addresses); skipped")
        return 0
    if args.platform == "tistory":
        return tistory_main(args)
    tmp = Path(tempfile.mkdtemp(prefix="migrator-bench-tls-"))
    try:
        ca, cert, key = make_certs(tmp)
        blog = make_blog(args.posts, tmp / "images")
        web = Web(blog, args.latency, cert, key)
        (tmp / "py").mkdir()
        (tmp / "py" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = dict(installed_env(), PYTHONPATH=f"{tmp / 'py'}{os.pathsep}{ROOT / 'src'}", REQUESTS_CA_BUNDLE=str(ca),
                   MIGRATOR_BENCH_HOSTS=",".join(f"{h}={ip}" for h, ip in web.ips.items()))
        cfg = tmp / "bench.yaml"
        cfg.write_text(CONFIG + (f"convert_workers: {args.convert_workers}\n" if args.convert_workers is not None else ""))
        common = ["migrate", f"https://{BLOG_HOST}", "--config", str(cfg), "--platform", "blogger"]
        try:
            socket.create_connection((web.ips[BLOG_HOST], 443), timeout=2).close()
            own = resource.getrusage(resource.RUSAGE_SELF)
            t_full, rss = run_cli([*common, "--out", str(tmp / "site"), "--jobs", str(args.jobs)], env)
            cpu_full = CPU["last"]
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu_servers = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
            requests = len(web.log)
            written = len(list((tmp / "site" / "_posts").iterdir()))
            if written != args.posts:
                raise SystemExit(f"the full migration wrote {written} of {args.posts} posts")
            images = len(list((tmp / "site" / "assets" / "img").rglob("*.png")))
            noop_times, noop_counts = [], []
            for _ in range(max(1, args.noop_runs)):
                web.log.clear()
                noop_times.append(run_cli([*common, "--out", str(tmp / "site"), "--jobs", str(args.jobs)], env)[0])
                noop_counts.append(len(web.log))
            t_noop, noop_requests = statistics.median(noop_times), max(noop_counts)
            web.log.clear()
            t_one = None
            if not args.skip_jobs_1:
                t_one, _ = run_cli([*common, "--out", str(tmp / "one"), "--jobs", "1"], env)
        finally:
            web.close()
        ideal = requests * args.latency / args.jobs
        rows = [
            (f"full migration over HTTPS, {args.posts} posts, {images} images on {len(CDN_HOSTS)} CDN hosts, "
             f"{args.latency * 1000:.0f} ms a request, --jobs {args.jobs}", f"{t_full:.1f} s, {requests} requests"),
            ("  against the ideal (requests x latency / jobs)", f"{t_full / ideal:.2f}x ({ideal:.1f} s ideal)"),
            ("  the tool's own CPU (user + system) during it", f"{cpu_full:.1f} s ({cpu_full / ideal:.2f}x the ideal time)"),
            ("  the bench's TLS servers' CPU during it (the same machine)", f"{cpu_servers:.1f} s "
             f"(with the tool's: {(cpu_full + cpu_servers) / t_full:.2f} of {os.cpu_count()} cores busy)"),
            ("no-op resync" + (f" (median of {len(noop_times)} runs)" if len(noop_times) > 1 else ""),
             f"{t_noop / t_full:.2%} of the full run's time ({t_noop:.3f} s"
             + (f"; {min(noop_times):.3f}-{max(noop_times):.3f} s" if len(noop_times) > 1 else "")
             + f"), {noop_requests} requests"),
            ("peak RSS of the full run", f"{rss} MiB"),
        ]
        if t_one is not None:
            rows.insert(2, (f"  --jobs 1 against --jobs {args.jobs}", f"{t_one / t_full:.2f}x slower ({t_one:.1f} s)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_rows(rows)
    return 0


def tistory_blog(n: int, images: Path) -> TistoryBlog:
    """bench/tistory.py's blog (two images a post, comments on every fifth, three pages of them on every
    twentieth), its images at the addresses real Tistory posts use: signed originals on blog.kakaocdn.net
    (``/dna/...?credential=...&signature=...``, answered only with the blog's Referer), every fourth post's
    second image an old ``t1.daumcdn.net/cfile/tistory/`` one, the thumbnails' srcset on img1.daumcdn.net."""
    import tistory as tbench

    blog = tbench.make_blog(n, images)
    blog.require_referer = True
    for p in blog.posts:
        i = p["id"]
        sign = f"?credential=cred{i}&expires=1893456000&allow_ip=&allow_referer=&signature=sig{i}%3D"
        html = p["html"].replace(f"@IMG@/dn/b/bts{i}/k{i}a/img.png", f"https://blog.kakaocdn.net/dna/b/bts{i}/k{i}a/img.png{sign}")
        b = (f"https://t1.daumcdn.net/cfile/tistory/k{i}b" if i % 4 == 0
             else f"https://blog.kakaocdn.net/dna/b/bts{i}/k{i}b/img.png{sign}")  # fmt: skip
        html = html.replace(f"@IMG@/dn/b/bts{i}/k{i}b/img.png", b).replace("@IMG@/thumb/", "https://img1.daumcdn.net/thumb/")
        p["html"] = html
    return blog


def tistory_main(args: argparse.Namespace) -> int:
    """The Tistory variant: a run is bounded by its requests to the blog x tistory.delay (politeness) and
    by all its requests x latency / jobs; it is compared with the larger of the two."""
    import tistory as tbench

    tmp = Path(tempfile.mkdtemp(prefix="migrator-bench-tls-"))
    rows: list[tuple[str, str]] = []
    try:
        ca, cert, key = make_certs(tmp)
        blog = tistory_blog(args.posts, tmp / "images")
        web = Web(blog, args.latency, cert, key, hosts=[T_BLOG_HOST, *T_CDN_HOSTS], img_url="https://blog.kakaocdn.net")
        (tmp / "py").mkdir()
        (tmp / "py" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = dict(installed_env(), PYTHONPATH=f"{tmp / 'py'}{os.pathsep}{ROOT / 'src'}", REQUESTS_CA_BUNDLE=str(ca),
                   MIGRATOR_BENCH_HOSTS=",".join(f"{h}={ip}" for h, ip in web.ips.items()))
        cfg = tmp / "bench.yaml"
        cfg.write_text(f"allow_private_network: true\ntimezone: Asia/Seoul\ntistory:\n  delay: {args.delay}\n"
                       "  max_missing_run: 5\n")
        common = ["migrate", f"https://{T_BLOG_HOST}", "--config", str(cfg), "--platform", "tistory",
                  "--out", str(tmp / "site"), "--jobs", str(args.jobs)]
        try:
            socket.create_connection((web.ips[T_BLOG_HOST], 443), timeout=2).close()
            for label in ("first migration", "no-op resync"):
                web.log.clear()
                seconds, rss = run_cli(common, env)
                c = tbench.counted(list(web.log))
                polite = c["blog"] * args.delay
                wire = (c["blog"] + c["images"]) * args.latency / args.jobs
                bound = max(polite, wire)
                rows.append((f"{label}, {args.posts} posts over HTTPS, tistory.delay {args.delay} s, "
                             f"{args.latency * 1000:.0f} ms a request, --jobs {args.jobs}",
                             f"{seconds:.1f} s, {c['blog']} requests to the blog ({c['pages']} pages, {c['counts']} "
                             f"comment counts, {c['comments']} comment pages, {c['notices']} notices), "
                             f"{c['images']} to the CDNs"))  # fmt: skip
                rows.append(("  against its bound (the larger of blog requests x delay, requests x latency / jobs)",
                             f"{seconds / bound:.2f}x ({bound:.1f} s; politeness {polite:.1f} s, wire {wire:.1f} s); "
                             f"peak RSS {rss} MiB, CPU {CPU['last']:.1f} s ({CPU['sys']:.1f} s of it system)"))  # fmt: skip
                if label == "first migration":
                    written = len(list((tmp / "site" / "_posts").iterdir()))
                    images = sum(1 for f in (tmp / "site" / "assets" / "img").rglob("*") if f.is_file())
                    if os.environ.get("BENCH_KEEP"):
                        print("kept", tmp)
                    if written != args.posts or images < 2 * args.posts:  # (the notices have images too)
                        raise SystemExit(f"the first migration wrote {written} of {args.posts} posts, "
                                         f"{images} of {2 * args.posts} images")  # fmt: skip
        finally:
            web.close()
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
