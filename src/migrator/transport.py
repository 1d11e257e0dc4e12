"""The connections under the HTTP client (:mod:`migrator.http`): urllib3 connection classes that put
themselves under the current exchange's deadline, and, for direct connections, open their socket to the
addresses the private-address guard checked; the requests adapter and session that use them. Imported with
the client's first request."""

from __future__ import annotations

import socket
import sys
from typing import Any

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as u3_connection

from migrator.http import Resolver, TlsContexts, _ca_bundle, _local


def _unless_expired(conn: Any, sock: socket.socket) -> socket.socket:
    """The socket just connected, unless its exchange's deadline passed (or the run stopped) while it was
    being connected: then it is closed before a TLS handshake starts on it (a stopped run's exit would
    otherwise race that handshake inside OpenSSL)."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and deadline.expired:
        sock.close()
        raise ConnectTimeoutError(conn, deadline.message)
    return sock


class _TimedMixin:
    """Connections that put themselves under the current exchange's deadline when they connect or send."""

    def _new_conn(self) -> socket.socket:
        return _unless_expired(self, super()._new_conn())  # type: ignore[misc]

    def connect(self) -> None:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.watch(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.watch(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _PinnedMixin(_TimedMixin):
    """A direct connection that goes to the addresses the guard checked: ``pin(host, port)`` resolves once,
    checks every address (raising :class:`BlockedAddressError`) and returns them; the socket is opened to
    one of those IPs. ``self.host`` stays the name, so the Host header, SNI and certificate checks use it."""

    def __init__(self, *args: Any, pin: Resolver, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pin = pin

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        try:
            addrs = self._pin(conn._dns_host, conn.port)
        except (socket.gaierror, UnicodeError) as e:
            raise NameResolutionError(conn.host, conn, socket.gaierror(str(e))) from e
        failure: Exception = NewConnectionError(conn, f"no address to connect to for {conn.host}")
        for ip in addrs:
            try:
                sock = u3_connection.create_connection(
                    (ip, conn.port), conn.timeout, source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except TimeoutError as e:
                failure = ConnectTimeoutError(
                    conn, f"Connection to {conn.host} ({ip}) timed out. (connect timeout={conn.timeout})"
                )
                failure.__cause__ = e
            except OSError as e:
                failure = NewConnectionError(conn, f"Failed to establish a new connection to {ip}: {e}")
                failure.__cause__ = e  # what the system said (connection refused...), for the message
            else:
                sys.audit("http.client.connect", self, conn.host, conn.port)
                return _unless_expired(conn, sock)
        raise failure


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _TimedHTTPConnection(_TimedMixin, HTTPConnection):
    pass


class _TimedHTTPSConnection(_TimedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _TimedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TimedHTTPConnection


class _TimedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TimedHTTPSConnection


class _PinnedPoolManager(urllib3.PoolManager):
    def __init__(self, *args: Any, pin: Resolver, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pin = pin
        self.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None) -> Any:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.conn_kw["pin"] = self._pin
        return pool


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """Direct connections pinned to checked addresses; proxied ones (the proxy resolves) only timed. Every
    HTTPS connection of the run shares one TLS context per CA bundle (:class:`TlsContexts`)."""

    def __init__(self, pin: Resolver, tls: TlsContexts | None = None, **kwargs: Any) -> None:
        self._pin = pin
        self.tls = tls or TlsContexts()
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https" and verify is not False:
            pool_kwargs["ssl_context"] = self.tls.get(verify)  # a bundle that cannot be read: a FetchError
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # CERT_REQUIRED, and the bundle's path checked
        if verify and getattr(conn, "conn_kw", {}).get("ssl_context") is not None:
            conn.ca_certs = conn.ca_cert_dir = None  # in the shared context already: not loaded again

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _PinnedPoolManager(
            num_pools=connections, maxsize=maxsize, block=block, pin=self._pin, **pool_kwargs
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        if proxy.lower().startswith("https:") and "proxy_ssl_context" not in proxy_kwargs:
            # TLS to the proxy itself: the run's bundle, in the shared context (the pools' ca_certs, which
            # urllib3 would read for this hop, are cleared by cert_verify)
            proxy_kwargs["proxy_ssl_context"] = self.tls.get(_ca_bundle())
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = {"http": _TimedHTTPPool, "https": _TimedHTTPSPool}
        return manager


def guarded_session(pin: Resolver, pool_size: int, user_agent: str, tls: TlsContexts | None = None) -> requests.Session:
    """A session whose connections are pinned (direct) or timed (through a proxy); it reads nothing of the
    environment itself (the client picks proxies and the CA bundle)."""
    session = requests.Session()
    session.trust_env = False  # the environment is read by the client (_proxies_for, _ca_bundle)
    adapter = _GuardedAdapter(pin, tls, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
