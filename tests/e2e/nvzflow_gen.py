#!/usr/bin/env python3
"""Synthetic Cisco NVM ("nvzFlow") IPFIX exporter for sslvpnd e2e tests.

Sends IPFIX v10 (RFC 7011) over UDP the way Cisco AnyConnect/Secure Client NVM
does: a Template Set, then an endpoint-identity record, an interface record,
then flow records.  Python 3 stdlib only.  Sources (details in the research
notes, /tmp/nvzflow.md when it was written):
  [ONA]  obsrvbl-oss/ona @2029261808c8 src/scripts/tests/test_nvzflow_reader.py:
         hex dump of a real NVM template message (domain 127, templates
         262/266/267/268) and of a real IPv4 flow record (basicLists included);
         src/scripts/ona_service/nvzflow_reader.py (names, lengths).
  [EF]   robcowart/elastiflow @581fd837 www.elastiflow.com/logstash/elastiflow/
         definitions/ipfix.yml, PEN 9, ids 12332..12363 (names and types).
  [KEN]  Kentik "Cisco nvzFlow dimensions" docs: 12332 = 20-byte id, 12341 =
         SHA-256, 12346/12347 = L4 payload bytes in/out.
  [HINT] ids 12364..12372 only come from the task brief; the names are
         backed by NetFlow Logic docs (nvzFlowAgentVersion, nvzFlowFlowStartMsec/
         EndMsec), but no source found gives their numbers.  Only sent with
         --profile modern (the default).
"""
import argparse, hashlib, ipaddress, json, random, socket, struct, sys, time

CISCO = 9          # IANA PEN of Cisco Systems
VAR = 0xFFFF       # RFC 7011 s7: variable-length field
MAX_DGRAM = 1400

# name: (pen, id, template length, kind).  kind selects the encoder below.
IE = {
    'protocolIdentifier':      (0, 4, 1, 'u'),
    'sourceTransportPort':     (0, 7, 2, 'u'),
    'sourceIPv4Address':       (0, 8, 4, 'ip'),
    'destinationTransportPort': (0, 11, 2, 'u'),
    'destinationIPv4Address':  (0, 12, 4, 'ip'),
    'sourceIPv6Address':       (0, 27, 16, 'ip'),
    'destinationIPv6Address':  (0, 28, 16, 'ip'),
    'flowStartSeconds':        (0, 150, 4, 'u'),
    'flowEndSeconds':          (0, 151, 4, 'u'),
    'virtualStationName':      (0, 350, VAR, 'str'),      # endpoint host name [ONA]
    'UDID':                    (CISCO, 12332, 20, 'oct'),  # [ONA][EF][KEN]
    'LoggedInUser':            (CISCO, 12333, VAR, 'str'), # "DOMAIN\\user" [ONA]
    'OSName':                  (CISCO, 12334, VAR, 'str'), # [ONA][EF]
    'OSVersion':               (CISCO, 12335, VAR, 'str'),
    'SystemManufacturer':      (CISCO, 12336, VAR, 'str'), # [EF] sys_vendor
    'SystemType':              (CISCO, 12337, VAR, 'str'), # "x64" [ONA]
    'ProcessAccount':          (CISCO, 12338, VAR, 'str'),
    'ParentProcessAccount':    (CISCO, 12339, VAR, 'str'),
    'ProcessName':             (CISCO, 12340, VAR, 'str'),
    'ProcessHash':             (CISCO, 12341, 32, 'oct'),  # raw SHA-256 [ONA][KEN]
    'ParentProcessName':       (CISCO, 12342, VAR, 'str'),
    'ParentProcessHash':       (CISCO, 12343, 32, 'oct'),
    'DNSSuffix':               (CISCO, 12344, VAR, 'str'),
    'DestinationHostname':     (CISCO, 12345, VAR, 'str'),
    'L4ByteCountIn':           (CISCO, 12346, 8, 'u'),     # received by endpoint
    'L4ByteCountOut':          (CISCO, 12347, 8, 'u'),     # sent by endpoint
    'OSEdition':               (CISCO, 12351, VAR, 'str'),
    # RFC 6313 basicLists; element ids 12348/12350 read from the list headers
    # in the [ONA] capture (semantic 3 = allOf, PEN 9).
    'ModuleNameList':          (CISCO, 12352, VAR, ('list', 12348, VAR)),
    'ModuleHashList':          (CISCO, 12353, VAR, ('list', 12350, 32)),
    'InterfaceInfoUID':        (CISCO, 12355, 4, 'u'),
    'InterfaceIndex':          (CISCO, 12356, 4, 'u'),
    'InterfaceType':           (CISCO, 12357, 1, 'u'),
    'InterfaceName':           (CISCO, 12358, VAR, 'str'),
    'InterfaceDetailsList':    (CISCO, 12359, VAR, 'str'),  # content unknown
    'InterfaceMacAddress':     (CISCO, 12360, VAR, 'str'),  # format unknown
    'LoggedInUserAccountType': (CISCO, 12361, 2, 'u'),      # Cisco NVM guide
    'ProcessAccountType':      (CISCO, 12362, 2, 'u'),
    'ParentProcessAccountType': (CISCO, 12363, 2, 'u'),
    'AgentVersion':            (CISCO, 12364, VAR, 'str'),  # [HINT]
    'ProcessId':               (CISCO, 12365, 4, 'u'),      # [HINT]
    'ParentProcessId':         (CISCO, 12366, 4, 'u'),
    'ProcessPath':             (CISCO, 12367, VAR, 'str'),
    'ParentProcessPath':       (CISCO, 12368, VAR, 'str'),
    'ProcessArgs':             (CISCO, 12369, VAR, 'str'),
    'ParentProcessArgs':       (CISCO, 12370, VAR, 'str'),
    'FlowStartMsec':           (CISCO, 12371, 8, 'u'),
    'FlowEndMsec':             (CISCO, 12372, 8, 'u'),
}

# Template ids and field order exactly as in the [ONA] capture; 'modern' appends
# the [HINT] elements (their position in real 4.9+/5.x templates is unknown).
_FLOW_TAIL = ['UDID', 'LoggedInUser', 'LoggedInUserAccountType',
         'ProcessAccount', 'ProcessAccountType', 'ProcessName', 'ProcessHash',
         'ParentProcessAccount', 'ParentProcessAccountType', 'ParentProcessName',
         'ParentProcessHash', 'L4ByteCountIn', 'L4ByteCountOut', 'DNSSuffix',
         'DestinationHostname', 'InterfaceInfoUID', 'ModuleNameList', 'ModuleHashList']
def _flow(v):
    a = 'IPv%d' % v
    head = ['protocolIdentifier', 'source%sAddress' % a, 'sourceTransportPort',
            'destination%sAddress' % a, 'destinationTransportPort',
            'flowStartSeconds', 'flowEndSeconds']
    return head + _FLOW_TAIL
LEGACY = {262: ['virtualStationName', 'UDID', 'OSName', 'OSVersion', 'OSEdition',
                'SystemManufacturer', 'SystemType'],
          267: _flow(4), 268: _flow(6),
          266: ['UDID', 'InterfaceInfoUID', 'InterfaceIndex', 'InterfaceType',
                'InterfaceName', 'InterfaceDetailsList', 'InterfaceMacAddress']}
_NEW = ['ProcessId', 'ParentProcessId', 'ProcessPath', 'ParentProcessPath',
        'ProcessArgs', 'ParentProcessArgs', 'FlowStartMsec', 'FlowEndMsec']
MODERN = {262: LEGACY[262] + ['AgentVersion'], 267: LEGACY[267] + _NEW,
          268: LEGACY[268] + _NEW, 266: LEGACY[266]}
PROFILES = {'legacy': LEGACY, 'modern': MODERN}
T_ENDPOINT, T_IFACE, T_FLOW4, T_FLOW6 = 262, 266, 267, 268


def varlen(b, force3=False):
    """RFC 7011 s7: 1-byte length if < 255, else 255 + 2-byte length."""
    if len(b) < 255 and not force3:
        return bytes([len(b)]) + b
    return b'\xff' + struct.pack('!H', len(b)) + b


def basic_list(elem_id, elem_len, items, semantic=3):
    """RFC 6313 basicList: semantic, field id (E bit), element length, PEN."""
    body = struct.pack('!BHHI', semantic, 0x8000 | elem_id, elem_len, CISCO)
    body += b''.join(varlen(i) if elem_len == VAR else i for i in items)
    return varlen(body, force3=True)   # the [ONA] capture uses the 3-byte form


def encode(name, value):
    pen, _, length, kind = IE[name]
    if isinstance(kind, tuple):
        return basic_list(kind[1], kind[2], value)
    if kind == 'u':
        return value.to_bytes(length, 'big')
    if kind == 'ip':
        return ipaddress.ip_address(value).packed
    if kind == 'oct':
        assert len(value) == length, name
        return value
    return varlen(value.encode('utf-8'))


def build_templates(profile='modern'):
    """One Template Set (id 2) holding all four templates, like [ONA]."""
    body = b''
    for tid, names in PROFILES[profile].items():
        body += struct.pack('!HH', tid, len(names))
        for n in names:
            pen, eid, length, _ = IE[n]
            body += (struct.pack('!HHI', 0x8000 | eid, length, pen) if pen
                     else struct.pack('!HH', eid, length))
    return struct.pack('!HH', 2, 4 + len(body)) + body


def build_record(tid, values, profile='modern'):
    return b''.join(encode(n, values[n]) for n in PROFILES[profile][tid])


def build_flow_record(flow, ident, profile='modern'):
    """Return (template id, record bytes) for one synthetic flow dict."""
    v = dict(ident, **flow)
    v.update(protocolIdentifier=flow['proto'], sourceTransportPort=flow['sport'],
             destinationTransportPort=flow['dport'],
             flowStartSeconds=flow['start_ms'] // 1000,
             flowEndSeconds=flow['end_ms'] // 1000,
             FlowStartMsec=flow['start_ms'], FlowEndMsec=flow['end_ms'])
    tid = T_FLOW4 if flow['family'] == 4 else T_FLOW6
    a = 'IPv%d' % flow['family']
    v['source%sAddress' % a], v['destination%sAddress' % a] = flow['src'], flow['dst']
    return tid, build_record(tid, v, profile)


def message(sets, seq, domain, export_time=None):
    """IPFIX message header (RFC 7011 s3.1) + already framed sets."""
    body = b''.join(sets)
    t = int(time.time()) if export_time is None else export_time
    return struct.pack('!HHIII', 10, 16 + len(body), t, seq, domain) + body


def pack(records, seq, domain, limit=MAX_DGRAM):
    """Group (tid, bytes, tag) records into <= limit byte messages.  Yields
    (datagram, tags, n_records); seq = data records sent before (RFC 7011)."""
    sets, cur_tid, cur, size, tags = [], None, b'', 16, []
    def close():
        if cur:
            sets.append(struct.pack('!HH', cur_tid, 4 + len(cur)) + cur)
    for tid, rec, tag in records:
        extra = len(rec) + (4 if tid != cur_tid else 0)
        if size + extra > limit and (sets or cur):
            close()
            yield message(sets, seq, domain), tags, len(tags)
            seq += len(tags)
            sets, cur_tid, cur, size, tags = [], None, b'', 16, []
            extra = len(rec) + 4
        if tid != cur_tid:
            close()
            cur_tid, cur = tid, b''
        cur += rec
        size += extra
        tags.append(tag)
    close()
    if tags:
        yield message(sets, seq, domain), tags, len(tags)


PROCS = [  # name, path, parent, parent path, args
    ('chrome.exe', r'C:\Program Files\Google\Chrome\Application\chrome.exe',
     'explorer.exe', r'C:\Windows\explorer.exe', '--type=utility --lang=en-US'),
    ('Teams.exe', r'C:\Users\u\AppData\Local\Microsoft\Teams\current\Teams.exe',
     'explorer.exe', r'C:\Windows\explorer.exe', '--system-initiated'),
    ('svchost.exe', r'C:\Windows\System32\svchost.exe', 'services.exe',
     r'C:\Windows\System32\services.exe', '-k NetworkService -p -s Dnscache'),
    ('curl', '/usr/bin/curl', 'bash', '/usr/bin/bash', '-sS https://example.org/'),
    ('powershell.exe', r'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe',
     'cmd.exe', r'C:\Windows\System32\cmd.exe', '-NoProfile -EncodedCommand '),
]
DESTS4 = [('www.example.com', '93.184.215.14'), ('login.example.net', '198.51.100.20'),
          ('cdn.example.org', '203.0.113.77'), ('Unknown', '192.0.2.53')]
DESTS6 = [('www.example.com', '2001:db8::80'), ('teams.example.net', '2001:db8:1::443'),
          ('Unknown', '2001:db8::53')]


def make_flows(n, rng, src4, src6, now_ms):
    flows = []
    for i in range(n):
        fam = 6 if i % 3 == 2 else 4
        name, path, parent, ppath, args = PROCS[i % len(PROCS)]
        host, dst = rng.choice(DESTS6 if fam == 6 else DESTS4)
        udp = host == 'Unknown'       # DNS flows: the [ONA] capture had "Unknown"
        if i == 0:  # >= 300 bytes: exercises the 3-byte variable-length form
            name, path, parent, ppath, args = PROCS[4]
            args += ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789+/')
                            for _ in range(320))
        end = now_ms - rng.randrange(0, 5000)
        flows.append(dict(
            family=fam, proto=17 if udp else 6, src=src4 if fam == 4 else src6,
            dst=dst, sport=rng.randrange(49152, 65535), dport=53 if udp else 443,
            ProcessName=name, ProcessPath=path, ProcessArgs=args,
            ParentProcessName=parent, ParentProcessPath=ppath, ParentProcessArgs='',
            ProcessHash=hashlib.sha256(path.encode()).digest(),
            ParentProcessHash=hashlib.sha256(ppath.encode()).digest(),
            ProcessId=rng.randrange(1000, 60000), ParentProcessId=rng.randrange(4, 1000),
            DestinationHostname=host,
            L4ByteCountIn=rng.randrange(0, 2_000_000), L4ByteCountOut=rng.randrange(0, 50_000),
            start_ms=end - rng.randrange(0, 60_000), end_ms=end,
            ModuleNameList=[b'kernel32.dll', b'ws2_32.dll', b'crypt32.dll'][:1 + i % 3],
            ModuleHashList=[hashlib.sha256(b'm%d' % k).digest() for k in range(i % 2)]))
    return flows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--host'); ap.add_argument('--port', type=int, default=2055)
    ap.add_argument('--src-ip', default='10.10.0.2', help='endpoint tunnel IPv4')
    ap.add_argument('--src-ip6', default='fd00:10::2', help='endpoint tunnel IPv6')
    ap.add_argument('--user', default='CORP\\alice', help='LoggedInUser claim')
    ap.add_argument('--flows', type=int, default=20)
    ap.add_argument('--domain', type=int, default=127)   # value seen in [ONA]
    ap.add_argument('--rate', type=float, default=200.0, help='msgs/s, 0 = no pause')
    ap.add_argument('--out', help='also write datagrams, each prefixed by u32 length')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--profile', choices=PROFILES, default='modern')
    a = ap.parse_args(argv)
    if not a.host and not a.out:
        ap.error('need --host and/or --out')
    rng, now_ms = random.Random(a.seed), int(time.time() * 1000)
    hostname = 'LAPTOP-%04d' % rng.randrange(10000)
    ident = dict(UDID=hashlib.sha1(hostname.encode()).digest(), virtualStationName=hostname,
                 OSName='WinNT', OSVersion='10.0.19045', OSEdition='Windows 10 Enterprise',
                 SystemManufacturer='LENOVO', SystemType='x64', AgentVersion='5.1.2.42',
                 LoggedInUser=a.user, LoggedInUserAccountType=2, ProcessAccount=a.user,
                 ProcessAccountType=2, ParentProcessAccount=a.user, ParentProcessAccountType=2,
                 DNSSuffix='corp.example', InterfaceInfoUID=6, InterfaceIndex=23,
                 InterfaceType=1, InterfaceName='Cisco AnyConnect Virtual Miniport Adapter',
                 InterfaceDetailsList='', InterfaceMacAddress='00-05-9A-3C-7A-00')
    flows = make_flows(a.flows, rng, a.src_ip, a.src_ip6, now_ms)
    records = [(T_ENDPOINT, build_record(T_ENDPOINT, ident, a.profile), None),
               (T_IFACE, build_record(T_IFACE, ident, a.profile), None)]
    records += [build_flow_record(f, ident, a.profile) + (f,) for f in flows]
    sock = socket.socket(socket.AF_INET6 if ':' in (a.host or '') else socket.AF_INET,
                         socket.SOCK_DGRAM) if a.host else None
    out = open(a.out, 'wb') if a.out else None
    stats = dict(messages=0, records=0, flows=0)

    def emit(dgram):
        assert len(dgram) <= MAX_DGRAM, len(dgram)
        if sock:
            sock.sendto(dgram, (a.host, a.port))
        if out:
            out.write(struct.pack('!I', len(dgram)) + dgram)
        stats['messages'] += 1
        if a.rate > 0:
            time.sleep(1.0 / a.rate)

    emit(message([build_templates(a.profile)], 0, a.domain))
    for dgram, tags, n in pack(records, 0, a.domain):
        emit(dgram)
        stats['records'] += n
        for f in filter(None, tags):
            stats['flows'] += 1
            print(json.dumps(dict(src=f['src'], dst=f['dst'], sport=f['sport'],
                  dport=f['dport'], proto=f['proto'], process=f['ProcessName'],
                  hostname=f['DestinationHostname'], bytes_in=f['L4ByteCountIn'],
                  bytes_out=f['L4ByteCountOut'], user=a.user, start_ms=f['start_ms'],
                  end_ms=f['end_ms'], family=f['family'])))
    print(json.dumps(stats))
    if out:
        out.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
