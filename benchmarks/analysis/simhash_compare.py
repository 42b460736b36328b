"""SimHash (64 bits over 5-word shingles, unweighted) on a labelled set of
gen_neardups.py: Hamming distances of true near-duplicate pairs against
pairs of different stories on the same topic, and per distance bound the
pair recall and the same-topic false pairs. The alternative MinHash was
chosen over (benchmarks/ANALYSIS.md, "Near duplicates").

    python3 simhash_compare.py neardups.csv labels.tsv
"""
import csv, sys, re, collections, hashlib, struct
csv.field_size_limit(10**9)
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
labels = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])][1:]
W=5
def words(t): return [w.lower() for w in re.findall(r"[A-Za-z0-9\u00c0-\u1fff\u2070-\uffff]+", t)]
def shingles(t):
    w=words(t)
    return [' '.join(w[i:i+W]) for i in range(max(1,len(w)-W+1))]
def h64(s): return struct.unpack('<Q', hashlib.blake2b(s.encode(), digest_size=8).digest())[0]
def simhash(t):
    v=[0]*64
    for sh in shingles(t):
        h=h64(sh)
        for b in range(64):
            v[b]+= 1 if (h>>b)&1 else -1
    return sum(1<<b for b in range(64) if v[b]>0)
S=[simhash(r['text']) for r in rows]
by_story=collections.defaultdict(list); by_topic=collections.defaultdict(list)
for i,(s,t,d) in enumerate(labels): by_story[s].append(i); by_topic[t].append(i)
pos=[bin(S[a]^S[b]).count('1') for ids in by_story.values() for a in ids for b in ids if a<b]
neg=[bin(S[a]^S[b]).count('1') for ids in by_topic.values() for a in ids for b in ids if a<b and labels[a][0]!=labels[b][0]]
print("pos n",len(pos),"max dist",max(pos),"q95",sorted(pos)[int(.95*len(pos))],"q99",sorted(pos)[int(.99*len(pos))])
print("neg n",len(neg),"min dist",min(neg),"q0.1%",sorted(neg)[int(.001*len(neg))])
for k in range(2,30,2):
    tp=sum(1 for p in pos if p<=k); fp=sum(1 for n in neg if n<=k)
    print(k,"recall(pairs)",round(tp/len(pos),4),"same-topic FP pairs",fp)
