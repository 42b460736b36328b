"""Exact Jaccard similarity of W-word shingles, for every pair of the same
story (true near duplicates) and every pair of different stories on the same
topic, in a labelled set of gen_neardups.py; prints quantiles and, per
threshold, the share of true pairs below it and of same-topic pairs above.

    python3 shingle_jaccard.py neardups.csv labels.tsv 5
"""
import csv, sys, re, random, collections
csv.field_size_limit(10**9)
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
labels = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])][1:]
W = int(sys.argv[3])
def words(t):
    return [w.lower() for w in re.findall(r"[A-Za-z0-9\u00c0-\u1fff\u2070-\uffff]+", t)]
def sh(t):
    w = words(t)
    if len(w) < W: return {tuple(w)}
    return {tuple(w[i:i+W]) for i in range(len(w)-W+1)}
S = [sh(r['text']) for r in rows]
def jac(a,b): return len(a&b)/len(a|b)
by_story = collections.defaultdict(list); by_topic = collections.defaultdict(list)
for i,(s,t,d) in enumerate(labels):
    by_story[s].append(i); by_topic[t].append(i)
pos=[]; 
for s,ids in by_story.items():
    for a in ids:
        for b in ids:
            if a<b: pos.append((jac(S[a],S[b]), labels[a][2], labels[b][2]))
neg=[]
for t,ids in by_topic.items():
    for a in ids:
        for b in ids:
            if a<b and labels[a][0]!=labels[b][0]: neg.append(jac(S[a],S[b]))
pos.sort()
print("W",W,"pos n",len(pos),"quantiles", [round(pos[int(q*(len(pos)-1))][0],3) for q in (0,0.01,0.02,0.05,0.1,0.5)])
neg.sort()
print("neg n",len(neg),"max",round(neg[-1],3),"q99.9", round(neg[int(0.999*(len(neg)-1))],3), "q99",round(neg[int(0.99*(len(neg)-1))],3))
for thr in (0.3,0.35,0.4,0.45,0.5,0.55,0.6):
    print(thr, "pos below", sum(1 for p in pos if p[0]<thr)/len(pos), "neg above", sum(1 for n in neg if n>=thr))
print("lowest pos", pos[:8])
