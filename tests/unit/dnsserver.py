# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A small authoritative DNS server for unit tests, built with dnspython.

It listens on 127.0.0.1 on one random port for UDP and TCP, serves one or more zones from memory,
answers like an authoritative server (AA, NXDOMAIN/NODATA with the SOA in the authority section,
REFUSED for names outside its zones, TC when a UDP answer does not fit) and applies RFC 2136
UPDATE messages only when they are TSIG-signed with a key it knows; a wrong secret gets NOTAUTH
with TSIG error BADSIG, an unknown key NOTAUTH/BADKEY, an unsigned update REFUSED, as BIND does.
Every message it receives is logged in ``server.log`` so tests can assert what a module sent.

``SilentServer`` binds the same way but never answers (for timeout tests).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdataset
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.zone


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = self.server.dns.handle_wire(data, "udp")
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        conn.settimeout(5)
        while True:
            head = _recv_exact(conn, 2)
            if head is None:
                return
            (length,) = struct.unpack("!H", head)
            data = _recv_exact(conn, length)
            if data is None:
                return
            reply = self.server.dns.handle_wire(data, "tcp")
            if reply is None:
                return
            conn.sendall(struct.pack("!H", len(reply)) + reply)


def _recv_exact(conn, length):
    buf = b""
    while len(buf) < length:
        try:
            chunk = conn.recv(length - len(buf))
        except (socket.timeout, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class _ThreadingUDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _same_port(bind_udp, bind_tcp, release, tries=20):
    """``bind_udp()`` returns ``(udp, port)``, then ``bind_tcp(port)`` binds TCP there; when that port is taken,
    ``release(udp)`` and another pair is tried. Returns ``(udp, tcp, port)``."""
    last = None
    for _attempt in range(tries):
        udp, port = bind_udp()
        try:
            tcp = bind_tcp(port)
        except OSError as exc:  # the TCP twin is taken (CI saw EADDRINUSE): try another port
            last = exc
            release(udp)
            continue
        return udp, tcp, port
    raise RuntimeError("could not bind UDP and TCP to one port: %s" % last)


def _bind_pair(udp_handler, tcp_handler, host="127.0.0.1", port=0):
    """Bind UDP and TCP servers to the same port on host: ``port``, or a random one when it is 0."""

    def bind_udp():
        udp = _ThreadingUDP((host, port), udp_handler)
        return udp, udp.server_address[1]

    def bind_tcp(bound):
        return _ThreadingTCP((host, bound), tcp_handler)

    return _same_port(bind_udp, bind_tcp, _ThreadingUDP.server_close, 20 if port == 0 else 1)


class DNSServer:
    """Authoritative in-memory DNS server. Use as a context manager or call start()/stop().

    ``zones`` maps an origin ("example.com.") to zone text in master-file format (relative names
    allowed, $TTL optional) or to a dns.zone.Zone. ``tsig_keys`` maps key names to base64 secrets;
    ``tsig_algorithm`` is the algorithm those keys use. ``policy`` optionally maps a key name to the names
    (and names below them) it may update, like BIND's update-policy; other updates get REFUSED.
    ``host`` and ``port`` say where to listen (default: a random port on 127.0.0.1); a second server on
    127.0.0.2 and the first one's port makes two name servers that one resolver (one port) can ask.
    """

    def __init__(self, zones, tsig_keys=None, tsig_algorithm="hmac-sha256", policy=None, host="127.0.0.1", port=0):
        self.zones = {}
        for origin, text in zones.items():
            if isinstance(text, dns.zone.Zone):
                zone = text
            else:
                zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
            self.zones[zone.origin] = zone
        self.tsig_algorithm = dns.name.from_text(tsig_algorithm)
        self.keyring = {}
        for name, secret in (tsig_keys or {}).items():
            kname = dns.name.from_text(name)
            self.keyring[kname] = dns.tsig.Key(kname, secret, self.tsig_algorithm)
        self.policy = None
        if policy is not None:
            self.policy = dict((dns.name.from_text(k), [dns.name.from_text(n) for n in v]) for k, v in policy.items())
        self.lock = threading.Lock()
        self.log = []
        self.host = host
        self.wanted_port = port
        self.port = None
        self._servers = []
        self._threads = []

    # ---- life cycle -------------------------------------------------------------------------------
    def start(self):
        udp, tcp, self.port = _bind_pair(_UDPHandler, _TCPHandler, self.host, self.wanted_port)
        for srv in (udp, tcp):
            srv.dns = self
            thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._servers.append(srv)
            self._threads.append(thread)
        return self

    def stop(self):
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- helpers for tests --------------------------------------------------------------------------
    @property
    def updates(self):
        """Log entries of UPDATE messages received (whatever their fate)."""
        return [entry for entry in self.log if entry["opcode"] == "UPDATE"]

    def rrset(self, name, rdtype):
        """The RRset the server holds for name/type, or None."""
        name = dns.name.from_text(name)
        zone = self._zone_for(name)
        if zone is None:
            return None
        with self.lock:
            rds = zone.get_rdataset(name, rdtype)
            if rds is None:
                return None
            return dns.rrset.from_rdata_list(name, rds.ttl, list(rds))

    def txt_strings(self, name):
        """List of TXT records at name, each as the tuple of its character-strings (bytes)."""
        rrset = self.rrset(name, "TXT")
        return sorted(tuple(rd.strings) for rd in rrset) if rrset is not None else []

    def set_records(self, name, rdtype, ttl, values):
        """Replace an RRset directly (values in presentation format); empty values deletes it."""
        name = dns.name.from_text(name)
        zone = self._zone_for(name)
        with self.lock:
            if not values:
                zone.delete_rdataset(name, rdtype)
                return
            rds = dns.rdataset.from_text_list("IN", rdtype, ttl, values, origin=zone.origin)
            zone.replace_rdataset(name, rds)

    # ---- protocol ----------------------------------------------------------------------------------
    def _zone_for(self, name):
        best = None
        for origin in self.zones:
            if name.is_subdomain(origin) and (best is None or len(origin) > len(best)):
                best = origin
        return self.zones.get(best) if best is not None else None

    def handle_wire(self, wire, transport):
        entry = {"transport": transport, "opcode": None, "rcode": None, "tsig": None, "message": None}
        self.log.append(entry)
        tsig_error = None
        try:
            msg = dns.message.from_wire(wire, keyring=self.keyring)
        except dns.message.UnknownTSIGKey:
            tsig_error = dns.rcode.BADKEY
        except dns.tsig.BadSignature:
            tsig_error = dns.rcode.BADSIG
        except dns.tsig.BadTime:
            tsig_error = dns.rcode.BADTIME
        except dns.exception.DNSException:
            entry["rcode"] = "FORMERR"
            return None
        if tsig_error is not None:
            msg = dns.message.from_wire(wire, keyring=False)
            entry["opcode"] = dns.opcode.to_text(msg.opcode())
            entry["message"] = msg
            entry["tsig"] = "error:%s" % {16: "BADSIG", 17: "BADKEY", 18: "BADTIME"}[tsig_error]
            entry["rcode"] = "NOTAUTH"
            response = dns.message.make_response(msg)
            response.set_rcode(dns.rcode.NOTAUTH)
            # Like BIND: say why in the TSIG error field. The MAC is not meaningful (unknown/bad key).
            response.use_tsig(dns.tsig.Key(msg.keyname, b"", msg.keyalgorithm), tsig_error=tsig_error)
            return response.to_wire()
        entry["opcode"] = dns.opcode.to_text(msg.opcode())
        entry["message"] = msg
        entry["tsig"] = msg.keyname.to_text() if msg.had_tsig else None
        if msg.opcode() == dns.opcode.UPDATE:
            response = self._update(msg)
        elif msg.opcode() == dns.opcode.QUERY:
            response = self._query(msg)
        else:
            response = dns.message.make_response(msg)
            response.set_rcode(dns.rcode.NOTIMP)
        entry["rcode"] = dns.rcode.to_text(response.rcode())
        max_size = 65535
        if transport == "udp":
            max_size = max(512, msg.payload) if msg.edns >= 0 else 512
        try:
            return response.to_wire(max_size=max_size)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(msg)
            truncated.flags |= dns.flags.TC | dns.flags.AA
            return truncated.to_wire()

    def _query(self, msg):
        response = dns.message.make_response(msg)
        if len(msg.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = msg.question[0]
        zone = self._zone_for(question.name)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        with self.lock:
            node = zone.get_node(question.name)
            soa = zone.get_rdataset(zone.origin, "SOA")
            soa_rrset = dns.rrset.from_rdata_list(zone.origin, soa.ttl, list(soa))
            if node is None:
                # NXDOMAIN unless the name is an empty non-terminal (has names below it)
                if any(name.is_subdomain(question.name) for name in zone.nodes):
                    response.authority.append(soa_rrset)
                else:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                    response.authority.append(soa_rrset)
                return response
            if question.rdtype == dns.rdatatype.ANY:
                rdatasets = list(node.rdatasets)
            else:
                rdatasets = [rds for rds in node.rdatasets if rds.rdtype == question.rdtype]
                if not rdatasets:
                    cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
                    if cname is not None:
                        rdatasets = [cname]
            if not rdatasets:
                response.authority.append(soa_rrset)
            for rds in rdatasets:
                response.answer.append(dns.rrset.from_rdata_list(question.name, rds.ttl, list(rds)))
        return response

    def _update(self, msg):
        response = dns.message.make_response(msg)
        if not msg.had_tsig:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        if len(msg.zone) != 1 or msg.zone[0].rdtype != dns.rdatatype.SOA:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        zone = self.zones.get(msg.zone[0].name)
        if zone is None:
            response.set_rcode(dns.rcode.NOTAUTH)
            return response
        with self.lock:
            rcode = self._check_prerequisites(zone, msg.prerequisite)
            if rcode != dns.rcode.NOERROR:
                response.set_rcode(rcode)
                return response
            for rrset in msg.update:
                if not rrset.name.is_subdomain(zone.origin):
                    response.set_rcode(dns.rcode.NOTZONE)
                    return response
                if self.policy is not None:
                    allowed = self.policy.get(msg.keyname, [])
                    if not any(rrset.name.is_subdomain(name) for name in allowed):
                        response.set_rcode(dns.rcode.REFUSED)
                        return response
            self._apply_updates(zone, msg.update)
        return response

    @staticmethod
    def _check_prerequisites(zone, prerequisites):
        """RFC 2136 section 3.2, the parts that matter here."""
        value_dependent = {}
        for rrset in prerequisites:
            if not rrset.name.is_subdomain(zone.origin):
                return dns.rcode.NOTZONE
            node = zone.get_node(rrset.name)
            rdclass = _effective_class(rrset)
            if rdclass == dns.rdataclass.ANY:
                if rrset.rdtype == dns.rdatatype.ANY:
                    if node is None:
                        return dns.rcode.NXDOMAIN
                elif node is None or node.get_rdataset(dns.rdataclass.IN, rrset.rdtype) is None:
                    return dns.rcode.NXRRSET
            elif rdclass == dns.rdataclass.NONE:
                if rrset.rdtype == dns.rdatatype.ANY:
                    if node is not None:
                        return dns.rcode.YXDOMAIN
                elif node is not None and node.get_rdataset(dns.rdataclass.IN, rrset.rdtype) is not None:
                    return dns.rcode.YXRRSET
            else:
                key = (rrset.name, rrset.rdtype)
                value_dependent.setdefault(key, set()).update(rrset)
        for (name, rdtype), wanted in value_dependent.items():
            rds = zone.get_rdataset(name, rdtype)
            if rds is None or set(rds) != wanted:
                return dns.rcode.NXRRSET
        return dns.rcode.NOERROR

    @staticmethod
    def _apply_updates(zone, updates):
        for rrset in updates:
            rdclass = _effective_class(rrset)
            if rdclass == dns.rdataclass.ANY:
                if rrset.rdtype == dns.rdatatype.ANY:
                    if rrset.name != zone.origin:
                        zone.delete_node(rrset.name)
                else:
                    zone.delete_rdataset(rrset.name, rrset.rdtype)
            elif rdclass == dns.rdataclass.NONE:
                rds = zone.get_rdataset(rrset.name, rrset.rdtype)
                if rds is None:
                    continue
                remaining = [rd for rd in rds if rd not in set(rrset)]
                if remaining:
                    zone.replace_rdataset(rrset.name, dns.rdataset.from_rdata_list(rds.ttl, remaining))
                else:
                    zone.delete_rdataset(rrset.name, rrset.rdtype)
            else:
                rds = zone.find_rdataset(rrset.name, rrset.rdtype, create=True)
                rds.ttl = rrset.ttl
                for rd in rrset:
                    rds.add(rd)


def _effective_class(rrset):
    """dnspython keeps the zone class in rdclass and puts ANY/NONE of update sections in `deleting`."""
    return rrset.deleting if rrset.deleting is not None else rrset.rdclass


class SilentServer:
    """Binds UDP and TCP on 127.0.0.1 and never answers anything."""

    def __init__(self):
        self.udp, self.tcp, self.port = _same_port(self._bind_udp, self._bind_tcp, socket.socket.close)
        self.tcp.listen(5)  # connections are accepted by the kernel and then left hanging

    @staticmethod
    def _bind_udp():
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        return udp, udp.getsockname()[1]

    @staticmethod
    def _bind_tcp(port):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            tcp.close()
            raise
        return tcp

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.udp.close()
        self.tcp.close()


def make_keyring(name, secret, algorithm="hmac-sha256"):
    """A dnspython keyring for clients in tests."""
    return dns.tsigkeyring.from_text({name: (algorithm, secret)})


# ---- test data shared by the DNS tests --------------------------------------------------------------

TSIG_NAME = "mail-update."
TSIG_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldCE="  # base64 of a made-up test secret
WRONG_SECRET = "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmch"

EXAMPLE_ZONE = """$TTL 300
@       SOA ns1 hostmaster 1 3600 600 86400 300
@       NS  ns1
ns1     A   127.0.0.1
mail    A   192.0.2.25
mail    AAAA 2001:db8::25
@       MX  10 mail
@       TXT "google-site-verification=kept-by-publish"
"""

REVERSE4_ZONE = """$TTL 300
@       SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@       NS  ns1.example.com.
"""

REVERSE6_ZONE = REVERSE4_ZONE


def lab_zones():
    """example.com plus its IPv4 (192.0.2.0/24) and IPv6 (2001:db8::/64) reverse zones."""
    return {
        "example.com.": EXAMPLE_ZONE,
        "2.0.192.in-addr.arpa.": REVERSE4_ZONE,
        "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": REVERSE6_ZONE,
    }
