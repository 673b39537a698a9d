"""The course's character-level LSTM (2 layers, hidden 256), trained on any text file.

Run: python examples/char_rnn.py [FILE]. With no file it trains on a text generated here.
"""

import argparse

import numpy as np

import ember as torch
from ember import nn


class CharRNN(nn.Module):
    def __init__(self, n_chars, n_hidden=256, n_layers=2, drop_prob=0.5):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.lstm = nn.LSTM(n_chars, n_hidden, n_layers, dropout=drop_prob, batch_first=True)
        self.dropout = nn.Dropout(drop_prob)
        self.fc = nn.Linear(n_hidden, n_chars)

    def forward(self, x, hidden):
        r, hidden = self.lstm(x, hidden)
        out = self.dropout(r).contiguous().view(-1, self.n_hidden)
        return self.fc(out), hidden

    def init_hidden(self, batch):
        return (torch.zeros(self.n_layers, batch, self.n_hidden),
                torch.zeros(self.n_layers, batch, self.n_hidden))


def batches(encoded, batch, seq):
    n = batch * seq
    arr = encoded[:(len(encoded) // n) * n].reshape(batch, -1)
    for i in range(0, arr.shape[1], seq):
        x = arr[:, i:i + seq]
        y = np.roll(arr, -1, axis=1)[:, i:i + seq]
        yield x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file", nargs="?")
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args()
    text = open(args.file).read() if args.file else "the quick brown fox jumps over it. " * 400
    chars = sorted(set(text))
    idx = {c: i for i, c in enumerate(chars)}
    encoded = np.array([idx[c] for c in text])
    torch.manual_seed(0)
    model = CharRNN(len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    criterion = nn.CrossEntropyLoss()
    eye = np.eye(len(chars), dtype=np.float32)
    step = 0
    while step < args.steps:
        h = model.init_hidden(8)
        for x, y in batches(encoded, 8, 50):
            h = tuple(t.detach() for t in h)
            opt.zero_grad()
            out, h = model(torch.from_numpy(eye[x]), h)
            loss = criterion(out, torch.from_numpy(y.reshape(-1)))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5)
            opt.step()
            step += 1
            if step % 5 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
