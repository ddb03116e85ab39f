"""The classic scikit-learn recipe, timed: the reference for `npm run train -- --preset classic`.

HashingVectorizer(n_features=2**21, classic tokenizer) + SGDClassifier(loss='log_loss'),
partial_fit in minibatches of 1,000, one pass over aclImdb/train (files read as it goes), then
predict over the same files. Prints documents/s for both.

Not a dependency of the project: run it by hand to compare on your machine (Debian:
apt-get install -y python3-sklearn):

    /usr/bin/python3 scripts/reference/sklearn_classic.py PATH/TO/aclImdb \
        test/fixtures/sklearn-hashing/stopwords-eng.json
"""
import os, re, sys, time, json
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

root = sys.argv[1]
stop = set(json.load(open(sys.argv[2])))
def tokenizer(text):
    text = re.sub('<[^>]*>', '', text)
    emoticons = re.findall(r'(?::|;|=)(?:-)?(?:\)|\(|D|P)', text.lower())
    text = re.sub(r'[\W]+', ' ', text.lower()) + ' '.join(emoticons).replace('-', '')
    return [w for w in text.split() if w not in stop]

def listing(split):
    files = []
    for label, sub in ((1, 'pos'), (0, 'neg')):
        d = os.path.join(root, split, sub)
        files += [(os.path.join(d, f), label) for f in sorted(os.listdir(d))]
    return files

files = listing('train')
rng = np.random.RandomState(1)
rng.shuffle(files)
vect = HashingVectorizer(decode_error='ignore', n_features=2**21, preprocessor=None, tokenizer=tokenizer, token_pattern=None)
clf = SGDClassifier(loss='log_loss', random_state=1, max_iter=1)
t0 = time.perf_counter()
for start in range(0, len(files), 1000):
    batch = files[start:start + 1000]
    texts = [open(p, encoding='utf-8').read() for p, _ in batch]
    y = [l for _, l in batch]
    X = vect.transform(texts)
    clf.partial_fit(X, y, classes=np.array([0, 1]))
train_s = time.perf_counter() - t0
t0 = time.perf_counter()
correct = 0
for start in range(0, len(files), 1000):
    batch = files[start:start + 1000]
    texts = [open(p, encoding='utf-8').read() for p, _ in batch]
    pred = clf.predict(vect.transform(texts))
    correct += int((pred == np.array([l for _, l in batch])).sum())
pred_s = time.perf_counter() - t0
print(f"sklearn_train_docs_per_s={len(files)/train_s:.0f} sklearn_predict_docs_per_s={len(files)/pred_s:.0f} train_accuracy={correct/len(files):.4f}")
