#!/usr/bin/env python3
"""IPFIX load for tests/bench/nvm.sh (stdlib only).

  gen FILE --records N         softflowd-like IPv4 flow records (template 256: 8,12,7,11,4,1,2,
                               152,153; 45 bytes a record, 30 a message of 1370 bytes; the
                               template again every --template-every messages), every 5-tuple
                               distinct, ending in export order (100 a ms, up to 2 s early), half
                               to 64 destinations, half to 65536; FILE holds the messages, each
                               after "!HH" (its length, its records)
  send FILE --port P [--rate R | --burst SECS]
                               replays FILE to 127.0.0.1:P from one socket: at R records/s paced
                               per ~1 ms (every message once), or as fast as it can for SECS
                               (FILE again and again, each pass shifted later by the file's span,
                               so flow times keep rising). RFC 7011 sequence numbers (data records
                               sent before the message) are written as it sends. Prints JSON.
  fill DB --schema SQL --rows N [--users U] [--days D]
                               a store with the collector's schema (sqlite3 DB .schema) and N
                               synthetic attributed flows of U users spread over D days
  timeit RUNS [--evict FILE]... -- CMD...
                               CMD's wall time, RUNS times (FILE's pages dropped from the page
                               cache before each run: cold); prints the median and min in ms
"""
import argparse
import json
import os
import random
import socket
import sqlite3
import struct
import subprocess
import sys
import time

FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (152, 8), (153, 8)]
REC = struct.Struct("!IIHHBQQQQ")
HDR = struct.Struct("!HHIII")  # version, length, export time, sequence, domain
DPORTS = (443, 443, 443, 80, 53, 22, 8080, 993)


def template_set():
    body = struct.pack("!HH", 256, len(FIELDS)) + b"".join(struct.pack("!HH", i, l) for i, l in FIELDS)
    return struct.pack("!HH", 2, 4 + len(body)) + body


def span_ms(records):  # the time a file's flows cover (a whole number of seconds): 100 flows end a ms
    return (records // 100000 + 3) * 1000


def gen(a):
    tset, base_ms, out, i, m = template_set(), int(time.time() * 1000), open(a.file, "wb"), 0, 0
    while i < a.records:
        n = min(a.per, a.records - i)
        recs = []
        for k in range(i, i + n):
            dport = DPORTS[k % len(DPORTS)]
            # half the flows to 64 popular destinations, half to a long tail of 65536
            dst = 0xC6336400 + (k >> 1) % 64 if k % 2 == 0 else 0xC6120000 + ((k * 2654435761) >> 7) % 65536
            end = base_ms + k // 100 - (k * 7919) % 2000  # in export order, up to 2 s early
            recs.append(REC.pack(0x0A000000 + k, dst, 1024 + (k * 7919) % 64000, dport,
                                 17 if dport == 53 else 6, 200 + k % 100000, 1 + k % 1000, end - k % 30000, end))
        body = b"".join(recs)
        sets = (tset if m % a.template_every == 0 else b"") + struct.pack("!HH", 256, 4 + len(body)) + body
        msg = HDR.pack(10, 16 + len(sets), (base_ms + i // 100) // 1000, 0, 1) + sets
        out.write(struct.pack("!HH", len(msg), n) + msg)
        i, m = i + n, m + 1
    out.close()
    print(json.dumps({"messages": m, "records": a.records, "bytes": os.path.getsize(a.file)}))


def load(path):
    data, msgs, nrec, off = open(path, "rb").read(), [], [], 0
    while off < len(data):
        ln, n = struct.unpack_from("!HH", data, off)
        msgs.append(bytearray(data[off + 4:off + 4 + ln]))
        nrec.append(n)
        off += 4 + ln
    return msgs, nrec


def shifts(msg, n, span):  # (seq shift, what one pass more adds) for msg as a big-endian integer
    ln, off = len(msg), len(msg) - n * REC.size
    d = (span // 1000) << 8 * (ln - 8)  # export time (bytes 4..7)
    for j in range(n):
        for o in (29, 37):  # flowStart/EndMilliseconds in the record
            d += span << 8 * (ln - (off + j * REC.size + o) - 8)
    return 8 * (ln - 12), d


def send(a):
    msgs, nrec = load(a.file)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.connect((a.host, a.port))
    out, patch, seq, sent, errors, total = s.send, struct.Struct("!I").pack_into, 0, 0, 0, len(msgs)
    if a.burst:  # each pass over the file later in time: as integers, one addition a message
        span, cache = span_ms(sum(nrec)), {}
        ints, lens, sh = [int.from_bytes(m, "big") for m in msgs], [len(m) for m in msgs], []
        for m, n in zip(msgs, nrec):
            key = (len(m), n)
            if key not in cache:
                cache[key] = shifts(m, n, span)
            sh.append(cache[key])
    t0 = time.perf_counter()
    if a.burst:  # as fast as it can: check the clock every 256 messages
        end, npass = t0 + a.burst, 0
        while time.perf_counter() < end:
            for _ in range(256):
                i = sent % total
                if i == 0:
                    npass = sent // total
                q, d = sh[i]
                try:
                    out((ints[i] + npass * d + ((seq & 0xFFFFFFFF) << q)).to_bytes(lens[i], "big"))
                except OSError:
                    errors += 1
                seq += nrec[i]
                sent += 1
    else:
        per_s = a.rate / (sum(nrec) / total)  # messages a second
        while sent < total:
            due = min(total, int((time.perf_counter() - t0) * per_s) + 1)
            while sent < due:
                m = msgs[sent]
                patch(m, 8, seq & 0xFFFFFFFF)
                try:
                    out(m)
                except OSError:
                    errors += 1
                seq += nrec[sent]
                sent += 1
            if sent < total:
                time.sleep(0.001)
    el = time.perf_counter() - t0
    r = {"messages": sent, "records": seq, "seconds": round(el, 3), "records_per_s": round(seq / el),
         "send_errors": errors}
    if a.burst:
        r["passes"] = round(sent / total, 2)
    else:
        r["target_per_s"] = a.rate
        r["reached"] = seq / el >= 0.98 * a.rate
    print(json.dumps(r))


def fill(a):
    schema = open(a.schema).read()
    stmts = [x.strip() for x in schema.split(";\n") if x.strip()]
    db = sqlite3.connect(a.db, isolation_level=None)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;")
    for st in stmts:  # the tables now, the indexes after the rows (a sorted build)
        if not st.upper().startswith("CREATE INDEX") and not st.upper().startswith("CREATE UNIQUE INDEX"):
            db.execute(st)
    cols = [(r[1], r[2].upper()) for r in db.execute("PRAGMA table_info(flows)") if r[1] != "id"]
    given = ["start_ms", "end_ms", "exporter", "domain", "src", "dst", "sport", "dport", "proto", "packets",
             "bytes", "vpn_user", "vpn_group", "vpn_session", "attributed_by"]
    names = [c for c, _ in cols]
    vals = ["?" if c in given else ("0" if t == "INTEGER" else "NULL") for c, t in cols]
    order = [c for c in names if c in given]
    sql = "INSERT INTO flows(%s) VALUES(%s)" % (",".join(names), ",".join(vals))
    rng = random.Random(1)
    now = int(time.time() * 1000)
    span = a.days * 86400000
    sessions = ["%016x" % rng.getrandbits(64) for _ in range(a.users)]
    t0, done, batch = time.time(), 0, 200000
    while done < a.rows:
        n = min(batch, a.rows - done)
        rows = []
        for k in range(done, done + n):
            u = rng.randrange(a.users)
            end = now - span + (k * span) // a.rows  # arrival order: oldest first
            dport = DPORTS[k % len(DPORTS)]
            v = {"start_ms": end - k % 30000, "end_ms": end, "exporter": "192.0.2.1", "domain": 1,
                 "src": "10.80.%d.%d" % (u >> 8, u & 255), "dst": "203.0.113.%d" % (k % 251),
                 "sport": 1024 + (k * 7919) % 64000, "dport": dport, "proto": 17 if dport == 53 else 6,
                 "packets": 1 + k % 1000, "bytes": 200 + k % 100000, "vpn_user": "user%d" % u,
                 "vpn_group": "staff", "vpn_session": sessions[u], "attributed_by": "flow"}
            rows.append(tuple(v[c] for c in order))
        db.execute("BEGIN")
        db.executemany(sql, rows)
        db.execute("COMMIT")
        done += n
        if done % 2000000 == 0 or done == a.rows:
            print("fill: %d rows, %.0f s" % (done, time.time() - t0), file=sys.stderr)
    for st in stmts:
        if st.upper().startswith("CREATE INDEX") or st.upper().startswith("CREATE UNIQUE INDEX"):
            db.execute(st)
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    print(json.dumps({"rows": a.rows, "seconds": round(time.time() - t0, 1), "bytes": os.path.getsize(a.db)}))


def timeit(a):
    ms = []
    for _ in range(a.runs):
        for f in a.evict:
            if os.path.exists(f):
                fd = os.open(f, os.O_RDONLY)
                os.fsync(fd)  # dirty pages are not dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
        t = time.perf_counter()
        r = subprocess.run(a.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        ms.append((time.perf_counter() - t) * 1000)
        if r.returncode:
            print("timeit: %s failed: %s" % (a.cmd[0], r.stderr.decode()[:200]), file=sys.stderr)
    ms.sort()
    print("%.1f %.1f %d" % (ms[len(ms) // 2], ms[0], len(r.stdout)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd_name", required=True)
    g = sub.add_parser("gen")
    g.add_argument("file")
    g.add_argument("--records", type=int, required=True)
    g.add_argument("--per", type=int, default=30)
    g.add_argument("--template-every", type=int, default=20)
    s = sub.add_parser("send")
    s.add_argument("file")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--rate", type=float, default=100000)
    s.add_argument("--burst", type=float, default=0)
    f = sub.add_parser("fill")
    f.add_argument("db")
    f.add_argument("--schema", required=True)
    f.add_argument("--rows", type=int, required=True)
    f.add_argument("--users", type=int, default=1000)
    f.add_argument("--days", type=int, default=30)
    t = sub.add_parser("timeit")
    t.add_argument("runs", type=int)
    t.add_argument("--evict", action="append", default=[])
    argv = sys.argv[1:]
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    a = p.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.cmd = cmd
    {"gen": gen, "send": send, "fill": fill, "timeit": timeit}[a.cmd_name](a)


if __name__ == "__main__":
    main()
