#!/usr/bin/env python3
"""Decode the capture of one interoperability run with tshark and check it.

Every UDP frame must be an IKE message, an ESP packet or a NAT-keepalive,
and none may carry a malformed mark or an expert error. When the suite is
one that tshark 4.0 can decrypt (AES-GCM, AES-CBC with HMAC-SHA2-256-128),
every SK payload must decrypt with a correct integrity checksum and every
ESP packet must authenticate (esp.icv_good). Wireshark 4.0 has no
ChaCha20-Poly1305 entry in either decryption table, so for that suite the
messages are only counted.

Keys come from one source per tshark run:

  --charon-log FILE:ROLE  a charon log written with "ike = 4" and "chd = 4";
                          ROLE is initiator or responder (the role of that
                          charon in the IKE SA). The IKE SPIs are not in the
                          log: the first IKE SA's are taken from the
                          IKE_SA_INIT response in the capture, and those of
                          IKE SAs made by rekeys from the message headers,
                          in the order in which they first appear.
  --keylog FILE           a tcpsec key log (-k): "uat:ikev2_decryption_table:"
                          and "uat:esp_sa:" lines for tshark's -o option.

Child SA keys are named after the initiator of the exchange that created
the Child SA (RFC 7296 section 2.17), which after a rekey can be the IKE
SA's responder. charon derives the keys in the thread that parsed the
message, so the exchange role is read from that thread's last "parsed ...
request" or "parsed ... response" line; ROLE is used only when no such line
precedes the keys. The SPI order breaks when two IKE SAs are created at
once (a rekey collision), which the rekey cases avoid by letting one side
rekey.

Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import csv
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

# Names of the transforms in Wireshark 4.0's decryption tables, by suite.
SUITES = {
    "aes128gcm16-prfsha256-ecp256": {
        "ike_encr": "AES-GCM-128 with 16 octet ICV [RFC5282]",
        "ike_integ": "NONE [RFC4306]",
        "esp_encr": "AES-GCM with 16 octet ICV [RFC4106]",
        "esp_auth": "NULL",
    },
    "aes256-sha256-ecp384": {
        "ike_encr": "AES-CBC-256 [RFC3602]",
        "ike_integ": "HMAC_SHA2_256_128 [RFC4868]",
        "esp_encr": "AES-CBC [RFC3602]",
        "esp_auth": "HMAC-SHA-256-128 [RFC4868]",
    },
    "aes128-sha256-modp2048": {
        "ike_encr": "AES-CBC-128 [RFC3602]",
        "ike_integ": "HMAC_SHA2_256_128 [RFC4868]",
        "esp_encr": "AES-CBC [RFC3602]",
        "esp_auth": "HMAC-SHA-256-128 [RFC4868]",
    },
    # Wireshark 4.0 cannot decrypt ChaCha20-Poly1305: count only.
    "chacha20poly1305-prfsha256-x25519": None,
}

# The IKE proposal of each suite as IANA transform numbers: encryption
# (ID, key length in bits or None), PRF, integrity (None for AEAD), DH group.
SUITE_TRANSFORMS = {
    "aes128gcm16-prfsha256-ecp256": ((20, 128), 5, None, 19),
    "aes256-sha256-ecp384": ((12, 256), 5, 12, 20),
    "chacha20poly1305-prfsha256-x25519": ((28, None), 5, None, 31),
    "aes128-sha256-modp2048": ((12, 128), 5, 12, 14),
}

# Expert severities as tshark prints _ws.expert.severity (PI_ERROR).
SEVERITY_ERROR = 0x00800000

IKE_SA_INIT = 34
CREATE_CHILD_SA = 36
FLAG_RESPONSE = 0x20
PAYLOAD_KE = 34
PAYLOAD_SK = 46
NOTIFY_REKEY_SA = 16393

LOG_PREFIX = r"^(?:\S+ )?(\d+)\[(\w+)\] "
LOG_HEADER = re.compile(LOG_PREFIX + r"(.+?) => (\d+) bytes @ 0x[0-9a-fA-F]+\s*$")
LOG_DUMP = re.compile(LOG_PREFIX + r"\s*\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})")
# charon 5.9 logs "inbound CHILD_SA ..." and then "outbound CHILD_SA ..."
# when it installs a rekeyed pair in two steps; the keys precede the first.
LOG_CHILD = re.compile(
    LOG_PREFIX + r"(?:inbound |outbound )?CHILD_SA \S+ established with SPIs "
    r"([0-9a-f]{8})_i ([0-9a-f]{8})_o")
LOG_PARSED = re.compile(LOG_PREFIX + r"parsed \S+ (request|response) \d+ ")

IKE_KEYS = {"Sk_ei secret": "ei", "Sk_er secret": "er",
            "Sk_ai secret": "ai", "Sk_ar secret": "ar", "Sk_pr secret": "pr"}
CHILD_KEYS = {"encryption initiator key": "ei", "encryption responder key": "er",
              "integrity initiator key": "ai", "integrity responder key": "ar"}


class Failures:
    def __init__(self):
        self.items = []

    def check(self, condition, message):
        if not condition:
            self.items.append(message)
        return condition


def parse_charon_log(path):
    """Return (IKE key sets, Child SA key sets) in the order charon derived
    them. A hex dump follows its header line in the same thread, so the
    lines of concurrent threads are distinguished by the thread number.
    Each Child SA key set has "exchange_role": "initiator" when the thread
    had last parsed a response (this charon started the exchange),
    "responder" after a request, None when no message was parsed yet."""
    pending = {}   # thread -> [name, length, bytes]
    ike_current = {}
    child_current = {}
    last_parsed = {}  # thread -> "request" or "response"
    ike_sas, child_sas = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = LOG_PARSED.match(line)
            if m:
                last_parsed[m.group(1)] = m.group(3)
                continue
            m = LOG_HEADER.match(line)
            if m:
                thread, name, length = m.group(1), m.group(3), int(m.group(4))
                if name in IKE_KEYS or name in CHILD_KEYS:
                    pending[thread] = [name, length, b""]
                continue
            m = LOG_DUMP.match(line)
            if m and m.group(1) in pending:
                entry = pending[m.group(1)]
                data = bytes.fromhex(m.group(3).replace(" ", ""))
                entry[2] += data[:entry[1] - len(entry[2])]
                if len(entry[2]) < entry[1]:
                    continue
                del pending[m.group(1)]
                thread, name, value = m.group(1), entry[0], entry[2].hex()
                if name in IKE_KEYS:
                    keys = ike_current.setdefault(thread, {})
                    keys[IKE_KEYS[name]] = value
                    if IKE_KEYS[name] == "pr":  # the last key derived
                        ike_sas.append(ike_current.pop(thread))
                else:
                    keys = child_current.setdefault(thread, {})
                    keys[CHILD_KEYS[name]] = value
                    keys["exchange_role"] = {"response": "initiator",
                                             "request": "responder"}.get(
                                                 last_parsed.get(thread))
                continue
            m = LOG_CHILD.match(line)
            if m and m.group(1) in child_current:
                keys = child_current.pop(m.group(1))
                keys["spi_in"], keys["spi_out"] = m.group(3), m.group(4)
                child_sas.append(keys)
    return ike_sas, child_sas


def tshark(args):
    cmd = ["tshark", "-n"] + args
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("tshark failed (exit %d): %s" %
                           (proc.returncode, proc.stderr.strip()[-2000:]))
    return proc.stdout


def ike_sa_spis(capture):
    """SPI pairs of the IKE SAs in the capture, in the order charon derives
    their keys. A pair counts from the IKE_SA_INIT response with a KE
    payload that made it, or, for an IKE SA made by a rekey, from the first
    header that carries it."""
    out = tshark(["-r", capture, "-Y", "isakmp",
                  "-T", "fields", "-E", "separator=\t", "-E", "aggregator=,",
                  "-e", "isakmp.ispi", "-e", "isakmp.rspi", "-e", "isakmp.flags",
                  "-e", "isakmp.exchangetype", "-e", "isakmp.typepayload"])
    pairs = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) < 5 or not fields[2]:
            continue
        pair = (fields[0].replace(":", ""), fields[1].replace(":", ""))
        if pair[1].strip("0") == "" or pair in pairs:
            continue
        flags = int(fields[2], 16)
        types = [int(t) for t in fields[4].split(",") if t]
        if fields[3] == str(IKE_SA_INIT) and not (flags & FLAG_RESPONSE and PAYLOAD_KE in types):
            continue
        pairs.append(pair)
    return pairs


def flip_first_bit(hex_key):
    return "%02x" % (int(hex_key[:2], 16) ^ 0x80) + hex_key[2:]


def rows_from_charon(capture, path, role, names, flip_esp_keys=False):
    ike_sas, child_sas = parse_charon_log(path)
    spis = ike_sa_spis(capture)
    if len(ike_sas) != len(spis):
        raise RuntimeError("%s: %d IKE SAs derived but %d IKE SPI pairs "
                           "captured" % (path, len(ike_sas), len(spis)))
    if not child_sas:
        raise RuntimeError("%s: no Child SA keys found" % path)
    rows = []
    for (spi_i, spi_r), keys in zip(spis, ike_sas):
        rows.append("uat:ikev2_decryption_table:%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"" % (
            spi_i, spi_r, keys["ei"], keys["er"], names["ike_encr"],
            keys.get("ai", ""), keys.get("ar", ""), names["ike_integ"]))
    for keys in child_sas:
        # The exchange initiator's outbound SA uses the initiator's keys.
        if (keys.get("exchange_role") or role) == "initiator":
            by_spi = {keys["spi_out"]: "i", keys["spi_in"]: "r"}
        else:
            by_spi = {keys["spi_out"]: "r", keys["spi_in"]: "i"}
        for spi, side in by_spi.items():
            encr = keys["e" + side]
            integ = keys.get("a" + side, "")
            if flip_esp_keys:
                encr = flip_first_bit(encr)
                integ = flip_first_bit(integ) if integ else integ
            rows.append("uat:esp_sa:\"IPv4\",\"*\",\"*\",\"0x%s\",\"%s\",\"0x%s\",\"%s\",\"%s\"" % (
                spi, names["esp_encr"], encr, names["esp_auth"],
                "0x" + integ if integ else ""))
    return rows


def rows_from_keylog(path):
    """Rows of a tcpsec key log, rewritten in the form tshark 4.0 parses:
    the IKE table's SPI and key fields are byte fields, which tshark reads
    as hex only when they are not quoted. Also returns notes and the number
    of rows commented out with "#" (SAs whose algorithm tshark lacks)."""
    rows, notes, commented = [], [], 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("#"):
                commented += line.lstrip("# ").startswith("uat:")
                continue
            if not line:
                continue
            table, sep, rest = line.partition(":")
            if table != "uat" or not sep:
                raise RuntimeError("%s:%d: not a uat line: %r" % (path, number, line[:60]))
            name, sep, values = rest.partition(":")
            fields = next(csv.reader([values], skipinitialspace=True))
            if name == "ikev2_decryption_table" and len(fields) == 8:
                quoted = [i for i in (0, 1, 2, 3, 5, 6) if '"' in values.split(",")[i]]
                if quoted:
                    notes.append("%s:%d: quoted hex in the IKE table (tshark 4.0 reads "
                                 "quoted byte fields as text); unquoted for this run"
                                 % (path, number))
                rows.append("uat:ikev2_decryption_table:%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"" %
                            tuple(fields))
            elif name == "esp_sa" and len(fields) == 8:
                rows.append("uat:esp_sa:" + ",".join('"%s"' % v for v in fields))
            else:
                raise RuntimeError("%s:%d: unexpected row %r" % (path, number, line[:80]))
    return rows, notes, commented


def decode_frames(capture, options):
    """Per frame: (number, is IKE, ESP SPI, ICV good, ICV bad, keepalive,
    malformed, worst expert severity)."""
    out = tshark(["-r", capture] + options +
                 ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                  "-E", "aggregator=,",
                  "-e", "frame.number", "-e", "udp.srcport", "-e", "isakmp.ispi",
                  "-e", "esp.spi", "-e", "esp.icv_good", "-e", "esp.icv_bad",
                  "-e", "udpencap.nat_keepalive", "-e", "_ws.malformed",
                  "-e", "_ws.expert.severity"])
    frames = []
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (9 - len(f))
        severities = [int(s, 0) for s in f[8].split(",") if s]
        frames.append({
            "number": int(f[0]),
            "udp": bool(f[1]),
            "ike": bool(f[2]),
            "esp": f[3].split(",")[0] if f[3] else "",
            "icv_good": f[4].split(",")[0] in ("1", "True"),
            "icv_bad": f[5].split(",")[0] in ("1", "True"),
            "keepalive": f[6] != "",
            "malformed": f[7] != "",
            "severity": max(severities) if severities else 0,
        })
    return frames


def decode_ike(capture, options):
    """Per IKE message: frame, exchange, flags, whether it has an SK payload,
    was decrypted, has a correct integrity checksum or an integrity error,
    and the payload and notify types (of the decrypted inner payloads too)."""
    out = tshark(["-r", capture] + options + ["-Y", "isakmp", "-T", "pdml"])
    messages = []
    for packet in ET.fromstring(out).iter("packet"):
        frame = exchange = flags = None
        has_sk = decrypted = icd_correct = icd_error = False
        payloads, notifies = [], []
        for field in packet.iter("field"):
            name = field.get("name")
            if name == "frame.number":
                frame = int(field.get("show"))
            elif name == "isakmp.exchangetype" and exchange is None:
                exchange = int(field.get("show"))
            elif name == "isakmp.flags" and flags is None:
                flags = int(field.get("show"), 0)
            elif name == "isakmp.typepayload":
                payloads.append(int(field.get("show")))
                has_sk = has_sk or payloads[-1] == PAYLOAD_SK
            elif name == "isakmp.notify.msgtype":
                notifies.append(int(field.get("show")))
            elif name == "isakmp.enc.decrypted":
                decrypted = True
            elif name == "isakmp.enc.icd":
                icd_correct = icd_correct or "[correct]" in (field.get("showname") or "")
            elif name == "isakmp.ikev2.integrity_checksum":
                icd_error = True
        messages.append({"frame": frame, "exchange": exchange, "flags": flags,
                         "sk": has_sk, "decrypted": decrypted,
                         "icd_correct": icd_correct, "icd_error": icd_error,
                         "payloads": payloads, "notifies": notifies})
    return messages


def check_child_rekeys(messages, label, expect_pfs, failures):
    """Every decrypted Child SA rekey request (CREATE_CHILD_SA with
    REKEY_SA) must carry a KE payload when PFS is configured, and none
    without PFS."""
    rekeys = [m for m in messages
              if m["exchange"] == CREATE_CHILD_SA and not m["flags"] & FLAG_RESPONSE
              and m["decrypted"] and NOTIFY_REKEY_SA in m["notifies"]]
    failures.check(rekeys, "%s: no decrypted Child SA rekey request (CREATE_CHILD_SA "
                   "with REKEY_SA)" % label)
    wrong = [m["frame"] for m in rekeys if (PAYLOAD_KE in m["payloads"]) != expect_pfs]
    failures.check(not wrong, "%s: Child SA rekey requests %s a KE payload in frames %s"
                   % (label, "without" if expect_pfs else "with", wrong[:10]))
    return len(rekeys)


def describe_frames(capture, options, numbers):
    """Print the addresses, ESP SPI and expert items of a few problem
    frames, as evidence for a failed check."""
    for number in numbers[:3]:
        out = tshark(["-r", capture] + options + ["-Y", "frame.number == %d" % number, "-V"])
        lines = out.splitlines()
        wanted = [l.strip() for l in lines
                  if l.startswith("Internet Protocol") or "ESP SPI" in l or "ESP Sequence" in l
                  or "Expert Info" in l or "Malformed" in l or "ICV" in l]
        print("frame %d: %s" % (number, " | ".join(wanted[:12])))


def ike_sa_init_proposals(capture):
    """Per IKE_SA_INIT message with an SA payload: (frame, is response, list
    of proposals as (encryption, PRF, integrity, DH) tuples)."""
    out = tshark(["-r", capture, "-Y", "isakmp.exchangetype == %d" % IKE_SA_INIT,
                  "-T", "pdml"])
    messages = []
    for packet in ET.fromstring(out).iter("packet"):
        frame, flags, proposals = None, 0, []
        for field in packet.iter("field"):
            name, show = field.get("name"), field.get("show")
            if name == "frame.number":
                frame = int(show)
            elif name == "isakmp.flags":
                flags = int(show, 0)
            elif name == "isakmp.prop.number":
                proposals.append({"encr": None, "bits": None, "prf": None,
                                  "integ": None, "dh": None})
            elif proposals and name == "isakmp.tf.id.encr":
                proposals[-1]["encr"] = int(show)
            elif proposals and name == "isakmp.ike2.attr.key_length":
                proposals[-1]["bits"] = int(show)
            elif proposals and name in ("isakmp.tf.id.prf", "isakmp.tf.id.integ",
                                        "isakmp.tf.id.dh"):
                proposals[-1][name.rsplit(".", 1)[1]] = int(show)
        if proposals:
            messages.append((frame, bool(flags & FLAG_RESPONSE),
                             [((p["encr"], p["bits"]), p["prf"], p["integ"], p["dh"])
                              for p in proposals]))
    return messages


def check_proposals(capture, suite, failures):
    """Both peers are configured with the suite alone, so every IKE_SA_INIT
    request must offer exactly that proposal and every response select it."""
    expected = SUITE_TRANSFORMS[suite]
    messages = ike_sa_init_proposals(capture)
    failures.check(messages, "no IKE_SA_INIT message with an SA payload captured")
    for frame, response, proposals in messages:
        kind = "response" if response else "request"
        failures.check(proposals == [expected],
                       "IKE_SA_INIT %s in frame %d carries proposals %s, expected only %s "
                       "(encryption with key bits, PRF, integrity, DH group) as both "
                       "sides are configured" % (kind, frame, proposals, expected))


def check_run(capture, rows, decryptable, label, minimum_ike, minimum_esp, data_ports,
              failures, expect_pfs=None, minimum_esp_sas=0):
    decrypt = decryptable and bool(rows)
    # Inner TCP payload on these ports is opaque test data. Without this,
    # a heuristic dissector may claim random bytes, ask for reassembly and
    # mark inner retransmissions as malformed.
    options = []
    for port in data_ports:
        options += ["-d", "tcp.port==%d,data" % port]
    if decrypt:
        for row in rows:
            options += ["-o", row]
        options += ["-o", "esp.enable_encryption_decode:TRUE",
                    "-o", "esp.enable_authentication_check:TRUE"]
    frames = decode_frames(capture, options)
    ike_frames = [f for f in frames if f["ike"]]
    esp_frames = [f for f in frames if f["esp"]]
    keepalives = [f for f in frames if f["keepalive"]]
    other = [f["number"] for f in frames
             if f["udp"] and not (f["ike"] or f["esp"] or f["keepalive"])]
    failures.check(not other, "%s: UDP frames neither IKE, ESP nor keepalive: %s"
                   % (label, other[:10]))
    malformed = [f["number"] for f in frames if f["malformed"]]
    failures.check(not malformed, "%s: malformed frames: %s" % (label, malformed[:10]))
    errors = [f["number"] for f in frames if f["severity"] >= SEVERITY_ERROR]
    failures.check(not errors, "%s: frames with expert errors: %s" % (label, errors[:10]))
    if malformed or errors:
        describe_frames(capture, options, sorted(set(malformed + errors)))
    failures.check(len(ike_frames) >= minimum_ike, "%s: %d IKE messages, expected at least %d"
                   % (label, len(ike_frames), minimum_ike))
    failures.check(len(esp_frames) >= minimum_esp, "%s: %d ESP packets, expected at least %d"
                   % (label, len(esp_frames), minimum_esp))
    esp_spis = {f["esp"] for f in esp_frames}
    failures.check(len(esp_spis) >= minimum_esp_sas, "%s: %d ESP SPIs, expected at least %d"
                   % (label, len(esp_spis), minimum_esp_sas))

    messages = decode_ike(capture, options)
    failures.check(len(messages) == len(ike_frames),
                   "%s: %d IKE messages in PDML, %d in the field pass"
                   % (label, len(messages), len(ike_frames)))
    sk_messages = [m for m in messages if m["sk"]]
    summary = ("%s: %d frames, %d IKE messages (%d with SK), %d ESP packets on %d SPIs, "
               "%d keepalives" % (label, len(frames), len(messages), len(sk_messages),
                                  len(esp_frames), len(esp_spis), len(keepalives)))
    if decrypt:
        bad_ike = [m["frame"] for m in sk_messages
                   if not (m["decrypted"] and m["icd_correct"]) or m["icd_error"]]
        failures.check(not bad_ike, "%s: SK payloads not decrypted with a correct integrity "
                       "checksum in frames %s" % (label, bad_ike[:10]))
        bad_esp = [f["number"] for f in esp_frames if not f["icv_good"] or f["icv_bad"]]
        if not failures.check(not bad_esp, "%s: ESP packets without a good ICV in frames %s"
                              % (label, bad_esp[:10])):
            describe_frames(capture, options, bad_esp)
        summary += "; decrypted: %d SK payloads and %d ESP ICVs good" % (
            len(sk_messages) - len(bad_ike), len(esp_frames) - len(bad_esp))
        if expect_pfs is not None:
            summary += "; %d Child SA rekey requests, each %s KE payload" % (
                check_child_rekeys(messages, label, expect_pfs, failures),
                "with a" if expect_pfs else "without")
    elif decryptable:
        summary += "; not decrypted: no keys"
    else:
        summary += "; not decrypted (tshark 4.0 has no ChaCha20-Poly1305)"
    print(summary)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--capture", required=True)
    parser.add_argument("--suite", required=True, choices=sorted(SUITES))
    parser.add_argument("--charon-log", action="append", default=[],
                        metavar="FILE:ROLE")
    parser.add_argument("--keylog", action="append", default=[])
    parser.add_argument("--min-ike", type=int, default=4)
    parser.add_argument("--min-esp", type=int, default=1)
    parser.add_argument("--min-ike-sas", type=int, default=1,
                        help="minimum number of IKE SPI pairs in the capture")
    parser.add_argument("--min-esp-sas", type=int, default=1,
                        help="minimum number of ESP SPIs in the capture")
    parser.add_argument("--pfs", choices=("yes", "no"),
                        help="require a KE payload in every decrypted Child SA "
                             "rekey request (yes) or in none (no)")
    parser.add_argument("--data-port", type=int, action="append", default=[],
                        help="TCP port of inner test traffic to decode as opaque data")
    parser.add_argument("--flip-esp-keys", action="store_true",
                        help="flip one bit of every ESP key taken from a charon "
                             "log, to check that bad ICVs are noticed")
    args = parser.parse_args()

    names = SUITES[args.suite]
    failures = Failures()
    sources = []
    try:
        for item in args.charon_log:
            path, _, role = item.rpartition(":")
            if role not in ("initiator", "responder"):
                parser.error("--charon-log needs FILE:initiator or FILE:responder")
            rows = (rows_from_charon(args.capture, path, role, names, args.flip_esp_keys)
                    if names else [])
            sources.append(("strongSwan keys (%s)" % role, rows))
        for path in args.keylog:
            rows, notes, commented = rows_from_keylog(path)
            for note in notes:
                print("note: " + note)
            failures.check(rows or commented, "%s: no key rows; the -k key log must contain one "
                           "uat:ikev2_decryption_table line per IKE SA and one uat:esp_sa "
                           "line per ESP SA direction" % path)
            sources.append(("tcpsec key log", rows))
        check_proposals(args.capture, args.suite, failures)
        ike_pairs = ike_sa_spis(args.capture)
        failures.check(len(ike_pairs) >= args.min_ike_sas,
                       "%d IKE SPI pairs in the capture, expected at least %d"
                       % (len(ike_pairs), args.min_ike_sas))
        if names is None or not sources:
            # Nothing to decrypt with: one decode checks framing and counts.
            sources = [("no decryption", [])]
        expect_pfs = None if args.pfs is None else args.pfs == "yes"
        for label, rows in sources:
            check_run(args.capture, rows, names is not None, label,
                      args.min_ike, args.min_esp, args.data_port, failures,
                      expect_pfs, args.min_esp_sas)
    except (RuntimeError, ET.ParseError, KeyError, ValueError) as e:
        failures.items.append("cannot check the capture: %s" % e)

    for item in failures.items:
        print("FAIL: " + item)
    return 1 if failures.items else 0


if __name__ == "__main__":
    sys.exit(main())
