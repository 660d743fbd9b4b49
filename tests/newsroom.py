"""A small news site for the fetch tests: a real HTTP server on 127.0.0.1 (an ephemeral port, in a
thread) serving feeds, pages and every kind of trouble a crawler meets. The stories are fictional,
written for these tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WIRE = [
    # three outlets' versions of one wire story: copies with light rewrites
    (
        "Militants attack police post near Garissa, two officers killed",
        "Militants attacked a police post near the town of Garissa in north-eastern Kenya early on Tuesday, "
        "killing two officers and wounding three others, a regional police commander said.",
        "The attackers, armed with rifles and grenades, struck the post shortly before dawn and fled towards the "
        "Somali border after an exchange of fire that lasted about forty minutes, the commander told reporters "
        "in Garissa.",
        "Security forces later launched a search operation in the area and arrested four suspects in a nearby "
        "village, police said in a statement. Nobody has claimed responsibility for the attack.",
        "The region has seen repeated raids on security posts in recent months. Local leaders called on the "
        "government to send more officers to protect villages along the border.",
    ),
    (
        "Two Kenyan police officers killed in attack near Garissa",
        "GARISSA, Kenya - Militants attacked a police post near the town of Garissa in north-eastern Kenya early "
        "on Tuesday, killing two police officers and wounding three others, a regional police commander said.",
        "The attackers, armed with rifles and grenades, struck the post just before dawn and fled towards the "
        "Somali border after a gunfight that lasted about forty minutes, the commander told reporters.",
        "Security forces later launched a search operation in the area and arrested four suspects in a nearby "
        "village, police said in a statement. No group has claimed responsibility for the attack.",
        "The region has seen repeated raids on security posts in recent months.",
    ),
    (
        "Garissa: gunmen kill two officers at police post",
        "Militants attacked a police post near the town of Garissa in north-eastern Kenya early on Tuesday, "
        "killing two officers and wounding three others, a regional police commander said on Tuesday.",
        "The attackers, who were armed with rifles and grenades, struck the post shortly before dawn and fled "
        "towards the Somali border after an exchange of fire that lasted about forty minutes, the commander said.",
        "Security forces later launched a search operation and arrested four suspects in a nearby village, "
        "police said. Nobody has claimed responsibility for the attack.",
        "The region has seen repeated raids on security posts in recent months. Local leaders called on the "
        "government to send more officers to protect villages along the border. The interior ministry did not "
        "respond to a request for comment.",
    ),
]
OTHER = {
    "other-a": (
        "Protesters clash with police in Lilongwe over fuel prices",
        "Police in Lilongwe fired tear gas on Wednesday to disperse hundreds of protesters who had blocked roads "
        "in the city centre to demand lower fuel prices, witnesses said.",
        "Demonstrators burned tyres and threw stones at officers near the main bus station, and several shops "
        "closed their doors as the crowd moved towards parliament.",
        "A police spokesman said twelve people were arrested and that officers would stay deployed in the city "
        "until calm returned.",
    ),
    "other-b": (
        "Ceasefire talks for eastern region resume in Addis Ababa",
        "Delegations from the government and the rebel movement resumed talks in Addis Ababa on Thursday on a "
        "ceasefire for the eastern region, mediators from the African Union said.",
        "The two sides agreed last month to exchange prisoners and to open a corridor for humanitarian aid, but "
        "fighting has continued around several towns since then.",
        "Mediators said they hoped a first agreement on monitoring a truce could be signed before the end of the "
        "week, though both delegations accused each other of violations.",
    ),
    "bad-ok": (
        "Soldiers deployed to border crossing after smuggling clashes",
        "The army deployed two companies of soldiers to a border crossing in the north on Monday after clashes "
        "between customs officers and smugglers left one officer wounded, the defence ministry said.",
        "The ministry said the troops would support customs staff and patrol the river banks where smugglers "
        "have moved fuel and cattle across the border for months.",
        "Traders at the crossing said business had slowed since the clashes and that many lorries were waiting "
        "to be inspected.",
    ),
    "page": (
        "Opposition leader arrested in Harare after rally",
        "Police in Harare arrested an opposition leader on Saturday hours after he addressed a rally of several "
        "thousand supporters, his party said.",
        "The party said officers took him from his home at night and did not say where he was being held. "
        "Police confirmed the arrest and said he was accused of organising an unlawful gathering.",
        "Diplomats from several embassies called for his release and for the right to peaceful assembly to be "
        "respected.",
    ),
}
CP1251_PAGE = (
    "<html><head><title>Shelling reported near Donetsk</title></head><body><article>"
    "<h1>Shelling reported near Donetsk</h1>"
    "<p>Shelling hit the outskirts of Donetsk (Донецк) on Tuesday, local officials said, and two people were "
    "wounded in the district of Kyivskyi (Киевский район).</p>"
    "<p>A spokesman for the city administration told reporters that the shelling went on through the night: "
    "«Обстрел продолжался всю ночь, пострадали два человека». The claim could not be independently verified.</p>"
    "<p>Residents of the nearby town of Horlivka (Горловка) said they heard explosions through the night and that "
    "the power was cut in several streets.</p></article></body></html>"
)
FEED_A_ETAG = '"feed-a-v1"'
FEED_B_MODIFIED = "Tue, 07 May 2024 09:00:00 GMT"
HUGE = 30_000_000


def page_html(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright Newsroom</footer></body></html>"
    )


def rss(items: list[tuple[str, str]], broken: bool = False) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>Tue, 07 May 2024 08:00:00 GMT</pubDate></item>"
        for t, link in items
    )
    if broken:  # an unescaped ampersand and no closing tags
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bad & Broken</title>{entries}'
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Northern Wire</title>{entries}</channel></rss>'


def atom(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<entry><title>{t}</title><link href='{link}'/><id>{link}</id><updated>2024-05-07T08:30:00Z</updated></entry>"
        for t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Coast Daily</title><id>urn:coast</id><updated>2024-05-07T09:00:00Z</updated>{entries}</feed>"
    )


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Site:
    base: str
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0
    flaky_left: int = 0

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits]

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.most_in_flight = 0


def routes(site: Site) -> dict[str, tuple[int, dict[str, str], bytes]]:
    html = {"Content-Type": "text/html; charset=utf-8"}
    pages = {f"/story/wire-{i + 1}.html": page_html(v[0], *v[1:]) for i, v in enumerate(WIRE)}
    pages.update({f"/story/{k}.html": page_html(v[0], *v[1:]) for k, v in OTHER.items()})
    out: dict[str, tuple[int, dict[str, str], bytes]] = {p: (200, html, t.encode()) for p, t in pages.items()}
    feed_a = rss(
        [
            (WIRE[0][0], "/story/wire-1.html"),
            (OTHER["other-a"][0], "/story/other-a.html"),
            ("Slow page", "/slow.html"),
            ("Broken page", "/error500.html"),
            ("Members only", "/private/secret.html"),
        ]
    )
    feed_b = atom(
        [
            (WIRE[1][0], site.url("/story/wire-2.html")),
            (WIRE[2][0], site.url("/story/wire-3.html")),
            (WIRE[0][0], site.url("/story/wire-1.html")),  # the same link as in feed A
            (OTHER["other-b"][0], site.url("/story/other-b.html")),
            ("Loop", site.url("/loop/a")),
            ("Huge", site.url("/huge.html")),
            ("Shelling near Donetsk", site.url("/cp1251.html")),
        ]
    )
    out["/feed-a.xml"] = (200, {"Content-Type": "application/rss+xml", "ETag": FEED_A_ETAG}, feed_a.encode())
    out["/feed-b.xml"] = (200, {"Content-Type": "text/xml", "Last-Modified": FEED_B_MODIFIED}, feed_b.encode())
    bad = rss([("Soldiers deployed & more", "/story/bad-ok.html")], broken=True)
    out["/feed-bad.xml"] = (200, {"Content-Type": "application/rss+xml"}, bad.encode())
    out["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n")
    out["/cp1251.html"] = (200, {"Content-Type": "text/html"}, CP1251_PAGE.encode("cp1251"))
    out["/error500.html"] = (500, html, b"<html><body>Internal error</body></html>")
    out["/retry-after.html"] = (503, {**html, "Retry-After": "3600"}, b"<html><body>Come back later</body></html>")
    out["/loop/a"] = (302, {"Location": "/loop/b"}, b"")
    out["/loop/b"] = (302, {"Location": "/loop/a"}, b"")
    out["/image.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return out


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    table: dict[str, tuple[int, dict[str, str], bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if not table:
                table.update(routes(site))
            held = self.path.startswith("/hold.html")
            with site.lock:
                site.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
                site.in_flight += held
                site.most_in_flight = max(site.most_in_flight, site.in_flight)
            try:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer()
            finally:
                with site.lock:
                    site.in_flight -= held

        def _answer(self) -> None:
            path = self.path.split("?")[0]
            if path == "/slow.html":
                time.sleep(2.0)  # well past the tests' 0.5 s timeout
                self._send(200, {"Content-Type": "text/html"}, b"<html><body>too late</body></html>")
                return
            if path == "/hold.html":
                time.sleep(0.15)
                self._send(200, {"Content-Type": "text/html"}, b"<html><body>held</body></html>")
                return
            if path == "/flaky.html":
                with site.lock:
                    fail = site.flaky_left > 0
                    site.flaky_left -= fail
                if fail:
                    self._send(503, {"Content-Type": "text/html"}, b"busy")
                else:
                    self._send(200, {"Content-Type": "text/html"}, page_html(*OTHER["page"]).encode())
                return
            if path in ("/huge.html", "/huge-declared.html"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if path == "/huge-declared.html":
                    self.send_header("Content-Length", str(HUGE))
                self.end_headers()
                chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                for _ in range(HUGE // len(chunk)):
                    self.wfile.write(chunk)
                return
            status, headers, body = table.get(path, (404, {"Content-Type": "text/html"}, b"not found"))
            if path == "/feed-a.xml" and self.headers.get("If-None-Match") == FEED_A_ETAG:
                status, body = 304, b""
            if path == "/feed-b.xml" and self.headers.get("If-Modified-Since") == FEED_B_MODIFIED:
                status, body = 304, b""
            self._send(status, headers, body)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are part of the tests


@contextlib.contextmanager
def serve() -> Iterator[Site]:
    site = Site("")
    server = _Server(("127.0.0.1", 0), make_handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
