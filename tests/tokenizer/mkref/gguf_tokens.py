import json, os, struct, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'gguf'))
from gguf_walk import skip
def read(path):
    b = open(path,'rb').read()
    o = 4; ver, nt, nkv = struct.unpack_from('<IQQ', b, o); o += 20
    meta = {}
    for _ in range(nkv):
        kl = struct.unpack_from('<Q', b, o)[0]; o += 8
        k = b[o:o+kl].decode(); o += kl
        t = struct.unpack_from('<I', b, o)[0]; o += 4
        if t == 8:
            l = struct.unpack_from('<Q', b, o)[0]; meta[k] = b[o+8:o+8+l].decode('utf-8','replace'); o += 8 + l
        elif t == 9:
            et, n = struct.unpack_from('<IQ', b, o)
            if et == 8:
                p = o + 12; arr = []
                for _ in range(n):
                    l = struct.unpack_from('<Q', b, p)[0]; arr.append(b[p+8:p+8+l].decode('utf-8')); p += 8 + l
                meta[k] = arr; o = p
            else:
                fmt = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'?'}.get(et)
                if fmt:
                    meta[k] = list(struct.unpack_from('<%d%s' % (n, fmt), b, o + 12))
                o = skip(b, o, t)
        else:
            fmt = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'?',10:'Q',11:'q',12:'d'}[t]
            meta[k] = struct.unpack_from('<' + fmt, b, o)[0]; o = skip(b, o, t)
    return meta
if __name__ == '__main__':
    m = read(sys.argv[1])
    print({k: (v if not isinstance(v, list) else (len(v), v[:12])) for k, v in m.items()})
