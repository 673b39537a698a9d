"""The course census (shared/COURSE.md): the snippets the classic PyTorch course notebooks
(Udacity deep-learning-v2-pytorch) run, executed once with `lib = ember` and once with
`lib = torch` (the oracle; without torch only ember runs). Each test returns what the notebook
prints or plots (reprs, values, dtypes, shapes, gradients) and `run` compares the two results.
torchvision rows (models, transforms) and APIs torch has dropped (`iter(loader).next()`) run on
ember alone against torchvision's documented behaviour.
"""

import io
import math
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from benchmarks.course_models import cifar_cnn

import ember
import ember.nn
import ember.nn.functional
import ember.optim
import ember.utils.data
from oracle import assert_same, torch

LIBS = [ember] if torch is None else [ember, torch]


def _nn(L):
    return L.nn, L.nn.functional, L.optim


def _cmp(e, t, what, rtol, atol):
    if torch is not None and isinstance(t, torch.Tensor):
        assert_same(e, t, rtol, atol, what=what)
    elif isinstance(t, dict):
        assert list(e) == list(t), f"{what}: keys {list(e)} != {list(t)}"
        for k in t:
            _cmp(e[k], t[k], f"{what}[{k!r}]", rtol, atol)
    elif isinstance(t, (list, tuple)):
        assert isinstance(e, (list, tuple)), f"{what}: {type(e).__name__} is not a sequence"
        assert len(e) == len(t), f"{what}: length {len(e)} != {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            _cmp(a, b, f"{what}[{i}]", rtol, atol)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray), f"{what}: {type(e).__name__} is not an ndarray"
        assert e.dtype == t.dtype and e.shape == t.shape, f"{what}: {e.dtype}{e.shape} != " \
                                                          f"{t.dtype}{t.shape}"
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=what)
    elif isinstance(t, float):
        assert isinstance(e, float), f"{what}: {type(e).__name__} is not a float"
        assert math.isclose(e, t, rel_tol=rtol, abs_tol=atol), f"{what}: {e} != {t}"
    else:
        assert type(e) is type(t), f"{what}: {type(e).__name__} != {type(t).__name__}"
        assert e == t, f"{what}:\n{e!r}\n!=\n{t!r}"


def run(fn, rtol=1e-5, atol=1e-6):
    """fn(lib) on ember and torch, with the same seeds; compares the returned structures."""
    np.random.seed(0)
    ember.manual_seed(0)
    e = fn(ember)
    if torch is None:
        return e
    np.random.seed(0)
    torch.manual_seed(0)
    t = fn(torch)
    _cmp(e, t, "result", rtol, atol)
    return e


def err(fn):
    try:
        fn()
    except Exception as ex:  # noqa: BLE001 - the type and text are the result
        return type(ex).__name__, str(ex)
    return None


def noaddr(s):
    return re.sub(r" at 0x[0-9a-f]+", "", s)


def grads(model):
    return [p.grad for p in model.parameters()]


def images(L, n=8, c=1, hw=28):
    rng = np.random.default_rng(1)
    x = rng.random((n, c, hw, hw), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return L.from_numpy(x), L.from_numpy(y)


# ---- intro Part 1: tensors --------------------------------------------------------------------

def test_p1_single_neuron_and_mm():
    def f(L):
        def activation(x):
            return 1 / (1 + L.exp(-x))
        L.manual_seed(7)
        features = L.randn((1, 5))
        weights = L.randn_like(features)
        bias = L.randn((1, 1))
        y = activation(L.sum(features * weights) + bias)
        y2 = activation((features * weights).sum() + bias)
        mm_err = err(lambda: L.mm(features, weights))
        y3 = activation(L.mm(features, weights.view(5, 1)) + bias)
        r = weights.reshape(5, 1)
        rs = weights.clone().resize_(5, 1)
        return [y, y2, y3, repr(y), repr(features), mm_err, r, rs, weights.shape,
                repr(weights.shape), weights.shape[1], weights.shape == (1, 5)]
    run(f)


def test_p1_multilayer():
    def f(L):
        def activation(x):
            return 1 / (1 + L.exp(-x))
        L.manual_seed(7)
        features = L.randn((1, 3))
        n_input, n_hidden, n_output = features.shape[1], 2, 1
        W1 = L.randn(n_input, n_hidden)
        W2 = L.randn(n_hidden, n_output)
        B1 = L.randn((1, n_hidden))
        B2 = L.randn((1, n_output))
        h = activation(L.mm(features, W1) + B1)
        output = activation(L.mm(h, W2) + B2)
        return [output, repr(output), type(n_input).__name__]
    run(f)


def test_p1_numpy_bridge_shares_memory():
    def f(L):
        a = np.random.rand(4, 3)
        b = L.from_numpy(a)
        shared = b.numpy() is a or np.shares_memory(b.numpy(), a)
        text = repr(b)
        b.mul_(2)
        return [text, repr(b), a.copy(), b, b.dtype == L.float64, shared,
                L.from_numpy(np.arange(3)).dtype == L.int64]
    run(f)


# ---- intro Part 2: networks -------------------------------------------------------------------

def _loader(L, n=20, batch=8, shuffle=False):
    x, y = images(L, n)
    ds = L.utils.data.TensorDataset(x, y)
    return L.utils.data.DataLoader(ds, batch_size=batch, shuffle=shuffle)


def test_p2_loader_next_alias_and_len():
    loader = _loader(ember)
    it = iter(loader)
    images_, labels = it.next()          # the legacy alias PyTorch removed in 1.13
    assert tuple(images_.shape) == (8, 1, 28, 28) and labels.dtype == ember.int64
    assert len(loader) == 3 and len(it) == 3
    assert len(loader.dataset) == 20 and len(loader.sampler) == 20
    n = sum(1 for _ in it) + 1
    assert n == 3

    def f(L):
        it = iter(_loader(L))
        a = next(it)
        return [a, len(_loader(L)), type(a).__name__]
    run(f)


def test_p2_manual_softmax_and_resize():
    def f(L):
        images_, labels = next(iter(_loader(L)))
        inputs = images_.view(images_.shape[0], -1)
        w1, b1 = L.randn(784, 256), L.randn(256)
        w2, b2 = L.randn(256, 10), L.randn(10)
        h = 1 / (1 + L.exp(-(L.mm(inputs, w1) + b1)))
        out = L.mm(h, w2) + b2

        def softmax(x):
            return L.exp(x) / L.sum(L.exp(x), dim=1).view(-1, 1)
        probabilities = softmax(out)
        images_.resize_(images_.shape[0], 1, 784)
        return [inputs.shape, probabilities.shape, probabilities.sum(dim=1), images_.shape,
                images_[0, :].shape, L.sum(out, dim=1).shape]
    run(f, rtol=1e-4)


class _Net:
    @staticmethod
    def make(L):
        nn, F, _ = _nn(L)

        class Network(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(784, 256)
                self.output = nn.Linear(256, 10)
                self.sigmoid = nn.Sigmoid()
                self.softmax = nn.Softmax(dim=1)

            def forward(self, x):
                return self.softmax(self.output(self.sigmoid(self.hidden(x))))

        class Network2(nn.Module):
            def __init__(self):
                super(Network2, self).__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 64)
                self.fc3 = nn.Linear(64, 10)

            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                return F.softmax(self.fc3(x), dim=1)
        return Network, Network2


def test_p2_module_classes_repr_init_forward():
    def f(L):
        Network, Network2 = _Net.make(L)
        model = Network()
        m2 = Network2()
        text = [repr(model), repr(m2), repr(m2.fc1.bias)[:40]]
        m2.fc1.bias.data.fill_(0)
        m2.fc1.weight.data.normal_(std=0.01)
        images_, _ = next(iter(_loader(L)))
        images_.resize_(8, 1, 784)
        ps = m2.forward(images_[0, :])
        view = ps.data.numpy().squeeze()
        img = images_[0].clone().resize_(1, 28, 28).numpy().squeeze()
        return text + [model(images_.view(8, -1)), m2.fc1.weight, ps, view, img.shape,
                       m2.fc1.in_features, m2.fc1.out_features]
    run(f)


def test_p2_sequential_ordereddict_indexing():
    def f(L):
        nn = L.nn
        model = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(784, 128)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(128, 64)), ("relu2", nn.ReLU()),
            ("output", nn.Linear(64, 10)), ("softmax", nn.Softmax(dim=1))]))
        m3 = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10),
                           nn.Softmax(dim=1))
        m3[1] = nn.Sigmoid()
        x = L.randn(2, 784)
        return [repr(model), repr(model[0]), repr(model.fc1), model[0] is model.fc1,
                model[0].weight, repr(m3), list(model._modules), len(model),
                type(model._modules).__name__ in ("OrderedDict", "dict"), model(x), m3(x),
                [type(m).__name__ for m in model.modules()]]
    run(f)


# ---- intro Part 3: losses and autograd ---------------------------------------------------------

def test_p3_losses():
    def f(L):
        nn = L.nn
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        images_, labels = next(iter(_loader(L)))
        images_ = images_.view(images_.shape[0], -1)
        ce = nn.CrossEntropyLoss()(model(images_), labels)
        model2 = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10),
                               nn.LogSoftmax(dim=1))
        logps = model2(images_)
        nll = nn.NLLLoss()(logps, labels)
        nll_sum = nn.NLLLoss(reduction="sum")(logps, labels)
        before = model2[0].weight.grad
        nll.backward()
        return [ce, repr(ce)[:14], nll, nll_sum, before, model2[0].weight.grad,
                noaddr(repr(ce.grad_fn))]
    run(f)


def test_p3_autograd_basics():
    def f(L):
        x = L.randn(2, 2, requires_grad=True)
        y = x ** 2
        text = [repr(x), repr(y), noaddr(repr(y.grad_fn)), noaddr(str(y.grad_fn))]
        z = y.mean()
        text.append(repr(z))
        g0 = x.grad
        z.backward()
        with L.no_grad():
            w = x * 2
        return text + [g0, x.grad, x / 2, w.requires_grad, repr(x.grad)]
    run(f)


def test_p3_variable_from_helper():
    def f(L):
        from importlib import import_module
        Variable = import_module(L.__name__ + ".autograd").Variable
        t = L.ones(2, 3)
        v = Variable(t, requires_grad=True)
        (v * 3).sum().backward()
        w = Variable(t)
        return [v.grad, w.requires_grad, type(v).__name__, repr(v)]
    run(f)


def test_p3_training_step_sgd():
    def f(L):
        nn, _, optim = _nn(L)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10), nn.LogSoftmax(dim=1))
        criterion = nn.NLLLoss()
        optimizer = optim.SGD(model.parameters(), lr=0.003)
        running_loss = 0
        for images_, labels in _loader(L):
            images_ = images_.view(images_.shape[0], -1)
            optimizer.zero_grad()
            loss = criterion(model(images_), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        g = model[0].weight.grad
        optimizer.zero_grad()
        after_opt = model[0].weight.grad
        criterion(model(images_), labels).backward()
        model.zero_grad()
        copy = __import__("copy").deepcopy(model)
        return [running_loss, model[0].weight, g, after_opt, model[0].weight.grad,
                f"Training loss: {running_loss / 3}"[:18], model.eval() is model,
                model.train() is model, model.training, repr(copy),
                copy[0].weight is not model[0].weight, copy[0].weight]
    run(f, rtol=1e-4)


# ---- intro Parts 4-6: inference, validation, checkpoints ---------------------------------------

def _classifier(L, hidden=(256, 128, 64), drop=0.2):
    nn, F, _ = _nn(L)

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.fc3 = nn.Linear(hidden[1], hidden[2])
            self.fc4 = nn.Linear(hidden[2], 10)
            self.dropout = nn.Dropout(p=drop)

        def forward(self, x):
            x = x.view(x.shape[0], -1)
            x = self.dropout(F.relu(self.fc1(x)))
            x = self.dropout(F.relu(self.fc2(x)))
            x = self.dropout(F.relu(self.fc3(x)))
            return F.log_softmax(self.fc4(x), dim=1)
    return Classifier()


def test_p5_validation_loop():
    def f(L):
        nn, _, optim = _nn(L)
        model = _classifier(L)
        criterion = nn.NLLLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.003)
        loader = _loader(L)
        out = []
        for _ in range(2):
            running_loss = 0
            model.train()
            for images_, labels in loader:
                optimizer.zero_grad()
                loss = criterion(model(images_), labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
            test_loss = 0
            accuracy = 0
            with L.no_grad():
                model.eval()
                for images_, labels in loader:
                    log_ps = model(images_)
                    test_loss += criterion(log_ps, labels)
                    ps = L.exp(log_ps)
                    top_p, top_class = ps.topk(1, dim=1)
                    equals = top_class == labels.view(*top_class.shape)
                    accuracy += L.mean(equals.type(L.FloatTensor))
            out += [running_loss, test_loss, type(test_loss).__name__, accuracy,
                    "Test Loss: {:.3f}.. ".format(test_loss / len(loader)),
                    f"Test Accuracy: {accuracy / len(loader):.3f}",
                    top_p, top_class, equals, equals.dtype == L.bool,
                    equals.type(L.FloatTensor).dtype == L.float32,
                    f"Accuracy: {accuracy.item() * 100}%"]
        return out
    run(f, rtol=1e-4, atol=1e-5)


def test_p6_checkpoint_and_mismatch():
    def f(L):
        nn, F, _ = _nn(L)

        class Network(nn.Module):
            def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
                super().__init__()
                self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])
                layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
                self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])
                self.output = nn.Linear(hidden_layers[-1], output_size)
                self.dropout = nn.Dropout(p=drop_p)

            def forward(self, x):
                for each in self.hidden_layers:
                    x = self.dropout(F.relu(each(x)))
                return F.log_softmax(self.output(x), dim=1)

        model = Network(784, 10, [32, 16, 8])
        sd = model.state_dict()
        keys = list(sd.keys())
        checkpoint = {"input_size": 784, "output_size": 10,
                      "hidden_layers": [each.out_features for each in model.hidden_layers],
                      "state_dict": model.state_dict()}
        buf = io.BytesIO()
        L.save(checkpoint, buf)
        buf.seek(0)
        loaded = L.load(buf)
        model2 = Network(loaded["input_size"], loaded["output_size"], loaded["hidden_layers"])
        r = model2.load_state_dict(loaded["state_dict"])
        bad = Network(784, 10, [40, 16, 8])
        mismatch = err(lambda: bad.load_state_dict(sd))
        x = L.randn(3, 784)
        model.eval()
        model2.eval()
        return [repr(model), keys, loaded["hidden_layers"], repr(r), mismatch, model2(x),
                model(x), type(loaded["state_dict"]).__name__, repr(sd["output.bias"])]
    run(f)


def test_p6_save_load_path_and_pickle(tmp_path):
    def f(L):
        model = L.nn.Linear(4, 3)
        p = str(tmp_path / f"{L.__name__}.pth")
        L.save(model.state_dict(), p)
        state = L.load(p)
        with open(p + "2", "wb") as fh:
            L.save({"n_hidden": 8, "n_layers": 2, "tokens": ("a", "b"),
                    "state_dict": state}, fh)
        with open(p + "2", "rb") as fh:
            ck = L.load(fh)
        samples = [L.randn(2, 3), L.randn(3)]
        back = pickle.loads(pickle.dumps(samples))
        return [list(state), ck["tokens"], ck["n_hidden"], ck["state_dict"]["weight"], back,
                type(back[0]).__name__]
    run(f)


def test_whole_module_save_load():
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    buf = io.BytesIO()
    ember.save(model, buf)
    buf.seek(0)
    m2 = ember.load(buf, weights_only=False)
    assert repr(m2) == repr(model)
    x = ember.randn(4, 3)
    assert ember.equal(m2(x), model(x))


# ---- intro Parts 7-8: transforms and transfer learning (ember.vision alone) --------------------

def test_p7_transforms_pipeline():
    from PIL import Image

    from ember.vision import transforms
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (300, 260, 3), dtype=np.uint8))
    train_t = transforms.Compose([transforms.RandomRotation(30),
                                  transforms.RandomResizedCrop(224),
                                  transforms.RandomHorizontalFlip(),
                                  transforms.ToTensor(),
                                  transforms.Normalize([0.485, 0.456, 0.406],
                                                       [0.229, 0.224, 0.225])])
    test_t = transforms.Compose([transforms.Resize(255), transforms.CenterCrop(224),
                                 transforms.ToTensor()])
    a = train_t(img)
    b = test_t(img)
    assert isinstance(a, ember.Tensor) and tuple(a.shape) == (3, 224, 224)
    assert a.dtype == ember.float32 and b.dtype == ember.float32
    assert tuple(b.shape) == (3, 224, 224) and 0 <= float(b.min()) <= float(b.max()) <= 1
    # Resize(255) scales the shorter side (260 -> 255) keeping the aspect ratio
    assert transforms.Resize(255)(img).size == (255, round(300 * 255 / 260))
    # ST: in_transform(image)[:3, :, :].unsqueeze(0)
    c = transforms.Compose([transforms.Resize((64, 80)), transforms.ToTensor(),
                            transforms.Normalize((0.485, 0.456, 0.406),
                                                 (0.229, 0.224, 0.225))])(img)[:3, :, :]
    assert tuple(c.unsqueeze(0).shape) == (1, 3, 64, 80)


def test_p8_densenet_transfer():
    from ember.vision import models
    nn, optim = ember.nn, ember.optim
    model = models.densenet121(weights=None)
    assert repr(model.classifier) == "Linear(in_features=1024, out_features=1000, bias=True)"
    for param in model.parameters():
        param.requires_grad = False
    n_before = len(list(model.parameters()))
    model.classifier = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(1024, 500)), ("relu", nn.ReLU()), ("fc2", nn.Linear(500, 2)),
        ("output", nn.LogSoftmax(dim=1))]))
    assert len(list(model.parameters())) == n_before - 2 + 4
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert len(trainable) == 4 and trainable[0] is model.classifier.fc1.weight
    assert "classifier.fc1.weight" in model.state_dict()
    device = ember.device("cuda" if ember.cuda.is_available() else "cpu")
    assert str(device) == "cpu"
    model.to(device)
    optimizer = optim.Adam(model.classifier.parameters(), lr=0.003)
    criterion = nn.NLLLoss()
    x = ember.rand(2, 3, 32, 32)
    logps = model.forward(x)
    assert tuple(logps.shape) == (2, 2)
    loss = criterion(logps, ember.tensor([0, 1]))
    loss.backward()
    assert model.features.conv0.weight.grad is None
    assert model.classifier.fc1.weight.grad is not None
    w = model.classifier.fc2.weight.clone()
    optimizer.step()
    assert not ember.equal(w, model.classifier.fc2.weight)
    ps = ember.exp(logps)
    top_p, top_class = ps.topk(1, dim=1)
    assert tuple(top_class.shape) == (2, 1) and top_class.dtype == ember.int64


def test_tl_vgg16_freeze_and_replace(monkeypatch):
    from ember.vision import models
    nn = ember.nn
    # the test is about module bookkeeping: skip the (exact-stream, slow) weight init
    for name in ("kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_"):
        monkeypatch.setattr(ember.nn.init, name, lambda t, *a, **k: t)
    vgg16 = models.vgg16(weights=None)
    assert vgg16.classifier[6].in_features == 4096
    assert vgg16.classifier[6].out_features == 1000
    assert len(vgg16.features) == 31 and len(vgg16.classifier) == 7
    text = repr(vgg16).splitlines()
    for line in ("VGG(", "  (features): Sequential(",
                 "    (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
                 "    (1): ReLU(inplace=True)",
                 "    (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                 "ceil_mode=False)",
                 "  (avgpool): AdaptiveAvgPool2d(output_size=(7, 7))",
                 "    (0): Linear(in_features=25088, out_features=4096, bias=True)",
                 "    (2): Dropout(p=0.5, inplace=False)",
                 "    (6): Linear(in_features=4096, out_features=1000, bias=True)"):
        assert line in text, line
    for param in vgg16.features.parameters():
        param.requires_grad = False
    last_layer = nn.Linear(vgg16.classifier[6].in_features, 5)
    vgg16.classifier[6] = last_layer
    assert vgg16.classifier[6] is last_layer
    assert vgg16.classifier[6].out_features == 5
    assert "classifier.6.weight" in vgg16.state_dict()
    params = list(vgg16.classifier.parameters())
    assert params[-2] is last_layer.weight
    assert all(not p.requires_grad for p in vgg16.features.parameters())
    assert sum(p.requires_grad for p in vgg16.parameters()) == 6
    opt = ember.optim.SGD(vgg16.classifier.parameters(), lr=0.001)
    assert len(opt.param_groups[0]["params"]) == 6


# ---- CNN (CIFAR, conv/pool visualisation) ------------------------------------------------------

@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's
def test_cifar_cnn_shapes_and_accuracy_bookkeeping():
    def f(L):
        nn, F, optim = _nn(L)

        model = cifar_cnn(L)  # the course's CIFAR-10 CNN, defined once for tests and benchmarks
        data, target = images(L, 4, 3, 32)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        optimizer.zero_grad()
        output = model(data)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        train_loss = 0.0
        train_loss += loss.item() * data.size(0)
        _, pred = L.max(output, 1)
        correct_tensor = pred.eq(target.data.view_as(pred))
        correct = np.squeeze(correct_tensor.numpy())
        class_correct = list(0. for i in range(10))
        class_total = list(0. for i in range(10))
        for i in range(4):
            label = target.data[i]
            class_correct[label] += correct[i].item()
            class_total[label] += 1
        img = data[0] / 2 + 0.5
        shown = np.transpose(img, (1, 2, 0))
        return [repr(model), output, train_loss, pred, correct, class_correct, class_total,
                data.size(), data.size(0), type(shown).__name__, shown,
                model.conv1.weight.grad, model.fc2.bias]
    run(f, rtol=1e-4, atol=1e-5)


def test_conv_visualisation_fixed_filters():
    def f(L):
        nn, F, _ = _nn(L)
        filter_vals = np.array([[-1, -1, 1, 1]] * 4)
        filters = np.array([filter_vals, -filter_vals, filter_vals.T, -filter_vals.T])

        class Net(nn.Module):
            def __init__(self, weight):
                super().__init__()
                k_height, k_width = weight.shape[2:]
                self.conv = nn.Conv2d(1, 4, kernel_size=(k_height, k_width), bias=False)
                self.conv.weight = nn.Parameter(weight)
                self.pool = nn.MaxPool2d(4, 4)

            def forward(self, x):
                conv_x = self.conv(x)
                activated_x = F.relu(conv_x)
                return conv_x, activated_x, self.pool(activated_x)

        weight = L.from_numpy(filters).unsqueeze(1).type(L.FloatTensor)
        model = Net(weight)
        gray_img = np.random.rand(20, 24).astype("float32")
        gray_img_tensor = L.from_numpy(gray_img).unsqueeze(0).unsqueeze(1)
        conv_layer, activated_layer, pooled = model(gray_img_tensor)
        shown = [np.squeeze(activated_layer[0, i].data.numpy()) for i in range(4)]
        sq = np.squeeze(conv_layer[0, 1])
        return [repr(model), weight.dtype == L.float32, weight.shape,
                L.from_numpy(filters).dtype == L.int64, conv_layer, pooled, shown,
                type(sq).__name__, sq, [k for k, _ in model.named_parameters()]]
    run(f)


# ---- autoencoders ------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's
def test_autoencoders_conv_transpose_upsample_denoise():
    def f(L):
        nn, F, optim = _nn(L)

        class ConvAutoencoder(nn.Module):
            def __init__(self, upsample):
                super().__init__()
                self.upsample = upsample
                self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 4, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.t_conv1 = nn.ConvTranspose2d(4, 16, 2, stride=2)
                self.t_conv2 = nn.ConvTranspose2d(16, 1, 2, stride=2)
                self.conv4 = nn.Conv2d(4, 16, 3, padding=1)
                self.conv5 = nn.Conv2d(16, 1, 3, padding=1)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                if self.upsample:
                    x = F.upsample(x, scale_factor=2, mode="nearest")
                    x = F.relu(self.conv4(x))
                    x = F.upsample(x, scale_factor=2, mode="nearest")
                    return L.sigmoid(self.conv5(x))
                x = F.relu(self.t_conv1(x))
                return F.sigmoid(self.t_conv2(x))

        imgs, _ = images(L, 4)
        out = []
        for up in (False, True):
            model = ConvAutoencoder(up)
            criterion = nn.MSELoss()
            optimizer = optim.Adam(model.parameters(), lr=0.001)
            noise_factor = 0.5
            noisy_imgs = imgs + noise_factor * L.randn(*imgs.shape)
            noisy_imgs = np.clip(noisy_imgs, 0., 1.)
            optimizer.zero_grad()
            outputs = model(noisy_imgs)
            loss = criterion(outputs, imgs)
            loss.backward()
            optimizer.step()
            train_loss = 0.0
            train_loss += loss.item() * imgs.size(0)
            output = outputs.view(4, 1, 28, 28).detach().numpy()
            out += [type(noisy_imgs).__name__, noisy_imgs, outputs, train_loss, output,
                    model.conv1.weight.grad, repr(model)]
        return out
    with pytest.warns(UserWarning):
        run(f, rtol=1e-4, atol=1e-5)


def test_upsample_warns_deprecation():
    def f(L):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            y = L.nn.functional.upsample(L.arange(4.).view(1, 1, 2, 2), scale_factor=2,
                                         mode="nearest")
        return [y, [(r.category.__name__, str(r.message)) for r in rec]]
    run(f)


def test_linear_autoencoder_flatten():
    def f(L):
        nn, F, _ = _nn(L)
        fc1, fc2 = nn.Linear(784, 32), nn.Linear(32, 784)
        imgs, _ = images(L, 3)
        x = imgs.view(imgs.size(0), -1)
        out = F.sigmoid(fc2(F.relu(fc1(x))))
        shown = out.view(3, 1, 28, 28).detach().numpy()
        return [out, shown, np.squeeze(shown[0]).shape]
    run(f)


# ---- batch norm --------------------------------------------------------------------------------

def test_batchnorm1d_train_eval():
    def f(L):
        nn, F, optim = _nn(L)

        class NeuralNet(nn.Module):
            def __init__(self, use_batch_norm):
                super().__init__()
                self.fc1 = nn.Linear(784, 64, bias=not use_batch_norm)
                self.fc2 = nn.Linear(64, 10)
                self.use_batch_norm = use_batch_norm
                if use_batch_norm:
                    self.batch_norm1 = nn.BatchNorm1d(64)

            def forward(self, x):
                x = x.view(-1, 784)
                x = self.fc1(x)
                if self.use_batch_norm:
                    x = self.batch_norm1(x)
                return self.fc2(F.relu(x))

        out = []
        for bn in (True, False):
            net = NeuralNet(bn)
            opt = optim.SGD(net.parameters(), lr=0.01)
            crit = nn.CrossEntropyLoss()
            net.train()
            for data, target in _loader(L):
                opt.zero_grad()
                loss = crit(net(data), target)
                loss.backward()
                opt.step()
            net.eval()
            data, target = next(iter(_loader(L)))
            output = net(data)
            _, pred = L.max(output, 1)
            correct = np.squeeze(pred.eq(target.data.view_as(pred)))
            out += [repr(net), loss, output, correct]
            if bn:
                bn1 = net.batch_norm1
                out += [bn1.running_mean, bn1.running_var, bn1.num_batches_tracked,
                        net.fc1.bias is None]
        return out
    run(f, rtol=1e-4, atol=1e-5)


# ---- GANs --------------------------------------------------------------------------------------

def _gan(L):
    nn, F, _ = _nn(L)

    class Discriminator(nn.Module):
        def __init__(self, input_size, hidden_dim, output_size):
            super().__init__()
            self.fc1 = nn.Linear(input_size, hidden_dim * 4)
            self.fc2 = nn.Linear(hidden_dim * 4, hidden_dim)
            self.fc3 = nn.Linear(hidden_dim, output_size)
            self.dropout = nn.Dropout(0.3)

        def forward(self, x):
            x = x.view(-1, 28 * 28)
            x = self.dropout(F.leaky_relu(self.fc1(x), 0.2))
            x = self.dropout(F.leaky_relu(self.fc2(x), 0.2))
            return self.fc3(x)

    class Generator(nn.Module):
        def __init__(self, input_size, hidden_dim, output_size):
            super().__init__()
            self.fc1 = nn.Linear(input_size, hidden_dim)
            self.fc2 = nn.Linear(hidden_dim, hidden_dim * 4)
            self.fc3 = nn.Linear(hidden_dim * 4, output_size)
            self.dropout = nn.Dropout(0.3)

        def forward(self, x):
            x = self.dropout(F.leaky_relu(self.fc1(x), 0.2))
            x = self.dropout(F.leaky_relu(self.fc2(x), 0.2))
            return F.tanh(self.fc3(x))
    return Discriminator, Generator


def test_gan_training_step():
    def f(L):
        nn, _, optim = _nn(L)
        Discriminator, Generator = _gan(L)
        D, G = Discriminator(784, 32, 1), Generator(100, 32, 784)

        def real_loss(D_out, smooth=False):
            batch_size = D_out.size(0)
            labels = L.ones(batch_size) * 0.9 if smooth else L.ones(batch_size)
            return nn.BCEWithLogitsLoss()(D_out.squeeze(), labels)

        def fake_loss(D_out):
            return nn.BCEWithLogitsLoss()(D_out.squeeze(), L.zeros(D_out.size(0)))

        d_optimizer = optim.Adam(D.parameters(), 0.002)
        g_optimizer = optim.Adam(G.parameters(), 0.002, [0.5, 0.999])
        real_images, _ = images(L, 6)
        real_images = real_images * 2 - 1
        batch_size = real_images.size(0)
        d_optimizer.zero_grad()
        d_real_loss = real_loss(D(real_images), smooth=True)
        z = np.random.uniform(-1, 1, size=(batch_size, 100))
        z = L.from_numpy(z).float()
        fake_images = G(z)
        d_fake_loss = fake_loss(D(fake_images.detach()))
        d_loss = d_real_loss + d_fake_loss
        d_loss.backward()
        d_optimizer.step()
        g_optimizer.zero_grad()
        g_loss = real_loss(D(G(z)))
        g_loss.backward()
        g_optimizer.step()
        G.eval()
        samples_z = G(z)
        G.train()
        samples = pickle.loads(pickle.dumps([samples_z]))
        img = samples[0][0].detach()
        img = img.reshape((28, 28))
        losses = [(d_loss.item(), g_loss.item())]
        return [d_real_loss, d_fake_loss, d_loss, g_loss, z.dtype == L.float32,
                fake_images.requires_grad, fake_images.detach().requires_grad, img,
                np.array(losses).T.shape, D.fc1.weight, G.fc3.weight.grad,
                repr(d_optimizer)]
    run(f, rtol=1e-4, atol=1e-5)


def test_dcgan_blocks():
    def f(L):
        nn, F, optim = _nn(L)

        def conv(in_channels, out_channels, kernel_size, stride=2, padding=1, batch_norm=True):
            layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                bias=False)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        def deconv(in_channels, out_channels, kernel_size, stride=2, padding=1,
                   batch_norm=True):
            layers = [nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride,
                                         padding, bias=False)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        def scale(x, feature_range=(-1, 1)):
            min, max = feature_range
            return x * (max - min) + min

        conv1, conv2 = conv(3, 8, 4, batch_norm=False), conv(8, 16, 4)
        fc = nn.Linear(16 * 8 * 8, 1)
        t_conv1, t_conv2 = deconv(16, 8, 4), deconv(8, 3, 4, batch_norm=False)
        x, _ = images(L, 2, 3, 32)
        x = scale(x)
        h = F.leaky_relu(conv1(x), 0.2)
        h = F.leaky_relu(conv2(h), 0.2)
        d_out = fc(h.view(-1, 16 * 8 * 8))
        g = L.tanh(t_conv2(F.relu(t_conv1(h))))
        params = (list(conv1.parameters()) + list(conv2.parameters()) + list(fc.parameters()))
        opt = optim.Adam(params, 0.0002, [0.5, 0.999])
        loss = nn.BCEWithLogitsLoss()(d_out.squeeze(), L.ones(2) * 0.9) + g.pow(2).mean()
        loss.backward()
        opt.step()
        img = g[0].detach().numpy()
        img = np.transpose(img, (1, 2, 0))
        img = ((img + 1) * 255 / 2).astype(np.uint8)
        return [repr(conv2), repr(t_conv1), x.min(), x.max(), d_out, g, loss, img.shape,
                conv2[1].running_mean, conv1[0].weight, conv2[1].weight.grad]
    run(f, rtol=1e-4, atol=1e-5)


# ---- RNNs --------------------------------------------------------------------------------------

def test_char_rnn_step_predict_and_checkpoint():
    def f(L):
        nn, F, optim = _nn(L)
        chars = tuple("abcdefgh")

        class CharRNN(nn.Module):
            def __init__(self, tokens, n_hidden=16, n_layers=2, drop_prob=0.5):
                super().__init__()
                self.drop_prob, self.n_layers, self.n_hidden = drop_prob, n_layers, n_hidden
                self.chars = tokens
                self.lstm = nn.LSTM(len(self.chars), n_hidden, n_layers, dropout=drop_prob,
                                    batch_first=True)
                self.dropout = nn.Dropout(drop_prob)
                self.fc = nn.Linear(n_hidden, len(self.chars))

            def forward(self, x, hidden):
                r_output, hidden = self.lstm(x, hidden)
                out = self.dropout(r_output)
                out = out.contiguous().view(-1, self.n_hidden)
                return self.fc(out), hidden

            def init_hidden(self, batch_size):
                weight = next(self.parameters()).data
                return (weight.new(self.n_layers, batch_size, self.n_hidden).zero_(),
                        weight.new(self.n_layers, batch_size, self.n_hidden).zero_())

        def one_hot_encode(arr, n_labels):
            one_hot = np.zeros((arr.size, n_labels), dtype=np.float32)
            one_hot[np.arange(one_hot.shape[0]), arr.flatten()] = 1.
            return one_hot.reshape((*arr.shape, n_labels))

        net = CharRNN(chars)
        opt = optim.Adam(net.parameters(), lr=0.001)
        criterion = nn.CrossEntropyLoss()
        batch_size, seq_length, clip = 3, 5, 5
        rng = np.random.default_rng(3)
        x = rng.integers(0, 8, (batch_size, seq_length))
        y = rng.integers(0, 8, (batch_size, seq_length))
        net.train()
        h = net.init_hidden(batch_size)
        out = []
        for _ in range(2):
            inputs, targets = L.from_numpy(one_hot_encode(x, 8)), L.from_numpy(y)
            h = tuple([each.data for each in h])
            net.zero_grad()
            output, h = net(inputs, h)
            loss = criterion(output, targets.view(batch_size * seq_length).long())
            loss.backward()
            total = nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            out += [loss, output, total]
        net.eval()
        hp = net.init_hidden(1)
        xp = L.from_numpy(one_hot_encode(np.array([[2]]), 8))
        hp = tuple([each.data for each in hp])
        o, hp = net(xp, hp)
        p = F.softmax(o, dim=1).data
        p, top_ch = p.topk(3)
        top_ch = top_ch.numpy().squeeze()
        p = p.numpy().squeeze()
        char = np.random.choice(top_ch, p=p / p.sum())
        checkpoint = {"n_hidden": net.n_hidden, "n_layers": net.n_layers,
                      "state_dict": net.state_dict(), "tokens": net.chars}
        buf = io.BytesIO()
        L.save(checkpoint, buf)
        buf.seek(0)
        ck = L.load(buf)
        return out + [repr(net), h[0].dtype == L.float32, h[0].shape, top_ch, p, int(char),
                      list(ck["state_dict"]), ck["tokens"],
                      net.lstm.weight_ih_l0.grad]
    run(f, rtol=1e-4, atol=1e-5)


def test_sentiment_lstm():
    def f(L):
        nn, _, optim = _nn(L)

        class SentimentRNN(nn.Module):
            def __init__(self, vocab_size, output_size, embedding_dim, hidden_dim, n_layers,
                         drop_prob=0.5):
                super().__init__()
                self.output_size, self.n_layers = output_size, n_layers
                self.hidden_dim = hidden_dim
                self.embedding = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, hidden_dim, n_layers, dropout=drop_prob,
                                    batch_first=True)
                self.dropout = nn.Dropout(0.3)
                self.fc = nn.Linear(hidden_dim, output_size)
                self.sig = nn.Sigmoid()

            def forward(self, x, hidden):
                batch_size = x.size(0)
                x = x.long()
                embeds = self.embedding(x)
                lstm_out, hidden = self.lstm(embeds, hidden)
                lstm_out = lstm_out.contiguous().view(-1, self.hidden_dim)
                out = self.dropout(lstm_out)
                out = self.fc(out)
                sig_out = self.sig(out)
                sig_out = sig_out.view(batch_size, -1)
                sig_out = sig_out[:, -1]
                return sig_out, hidden

            def init_hidden(self, batch_size):
                weight = next(self.parameters()).data
                return (weight.new(self.n_layers, batch_size, self.hidden_dim).zero_(),
                        weight.new(self.n_layers, batch_size, self.hidden_dim).zero_())

        rng = np.random.default_rng(5)
        features = rng.integers(0, 30, (6, 7))
        labels = rng.integers(0, 2, 6)
        train_data = L.utils.data.TensorDataset(L.from_numpy(features), L.from_numpy(labels))
        loader = L.utils.data.DataLoader(train_data, batch_size=3)
        net = SentimentRNN(30, 1, 8, 12, 2)
        criterion = nn.BCELoss()
        optimizer = optim.Adam(net.parameters(), lr=0.001)
        net.train()
        h = net.init_hidden(3)
        out = []
        for inputs, lab in loader:
            h = tuple([each.data for each in h])
            net.zero_grad()
            output, h = net(inputs, h)
            loss = criterion(output.squeeze(), lab.float())
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5)
            optimizer.step()
            pred = L.round(output.squeeze())
            correct_tensor = pred.eq(lab.float().view_as(pred))
            correct = np.squeeze(correct_tensor.numpy())
            num_correct = 0
            num_correct += np.sum(correct)
            out += [loss, output, pred, correct, type(num_correct).__name__,
                    L.round(L.sigmoid(output)), features.dtype == np.int64]
        return out + [repr(net), net.embedding.weight.grad]
    run(f, rtol=1e-4, atol=1e-5)


def test_time_series_rnn():
    def f(L):
        nn, _, optim = _nn(L)

        class RNN(nn.Module):
            def __init__(self, input_size, output_size, hidden_dim, n_layers):
                super().__init__()
                self.hidden_dim = hidden_dim
                self.rnn = nn.RNN(input_size, hidden_dim, n_layers, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_size)

            def forward(self, x, hidden):
                r_out, hidden = self.rnn(x, hidden)
                r_out = r_out.view(-1, self.hidden_dim)
                return self.fc(r_out), hidden

        time_steps = np.linspace(0, np.pi, 21)
        data = np.sin(time_steps)
        data.resize((21, 1))
        x, y = data[:-1], data[1:]
        rnn = RNN(1, 1, 10, 2)
        criterion = nn.MSELoss()
        optimizer = optim.Adam(rnn.parameters(), lr=0.01)
        hidden = None
        out = []
        for _ in range(2):
            x_tensor = L.Tensor(x).unsqueeze(0)
            y_tensor = L.Tensor(y)
            prediction, hidden = rnn(x_tensor, hidden)
            hidden = hidden.data
            loss = criterion(prediction, y_tensor)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            out += [loss, prediction, x_tensor.dtype == L.float32, x_tensor.size()]
        return out + [repr(rnn), repr(loss)[:14], prediction.data.numpy().flatten()]
    run(f, rtol=1e-4, atol=1e-5)


# ---- word2vec ----------------------------------------------------------------------------------

def test_skipgram_cosine_similarity():
    def f(L):
        nn, _, optim = _nn(L)
        int_to_vocab = {i: f"w{i}" for i in range(20)}

        class SkipGram(nn.Module):
            def __init__(self, n_vocab, n_embed):
                super().__init__()
                self.embed = nn.Embedding(n_vocab, n_embed)
                self.output = nn.Linear(n_embed, n_vocab)
                self.log_softmax = nn.LogSoftmax(dim=1)

            def forward(self, x):
                return self.log_softmax(self.output(self.embed(x)))

        def cosine_similarity(embedding, valid_size=4, valid_window=10):
            embed_vectors = embedding.weight
            magnitudes = embed_vectors.pow(2).sum(dim=1).sqrt().unsqueeze(0)
            valid_examples = np.array([1, 3, 5, 7])
            valid_examples = L.LongTensor(valid_examples).to("cpu")
            valid_vectors = embedding(valid_examples)
            similarities = L.mm(valid_vectors, embed_vectors.t()) / magnitudes
            return valid_examples, similarities

        model = SkipGram(20, 6)
        criterion = nn.NLLLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.003)
        inputs, targets = [1, 2, 3, 4, 2], [2, 3, 4, 5, 1]
        inputs, targets = L.LongTensor(inputs), L.LongTensor(targets)
        log_ps = model(inputs)
        loss = criterion(log_ps, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        valid_examples, valid_similarities = cosine_similarity(model.embed)
        _, closest_idxs = valid_similarities.topk(6)
        valid_examples, closest_idxs = valid_examples.to("cpu"), closest_idxs.to("cpu")
        words = []
        for ii, valid_idx in enumerate(valid_examples):
            closest_words = [int_to_vocab[idx.item()] for idx in closest_idxs[ii]][1:]
            words.append(int_to_vocab[valid_idx.item()] + " | " + ", ".join(closest_words))
        by_index = [int_to_vocab[int(i)] for i in closest_idxs[0]]
        lst = list(range(20))
        return [loss, valid_similarities, closest_idxs, words, by_index,
                lst[closest_idxs[0, 1]], inputs.dtype == L.int64, model.embed.weight.grad,
                valid_examples.is_cuda]
    run(f, rtol=1e-4, atol=1e-5)


def test_negative_sampling():
    def f(L):
        nn, _, optim = _nn(L)

        class SkipGramNeg(nn.Module):
            def __init__(self, n_vocab, n_embed, noise_dist=None):
                super().__init__()
                self.n_vocab, self.n_embed, self.noise_dist = n_vocab, n_embed, noise_dist
                self.in_embed = nn.Embedding(n_vocab, n_embed)
                self.out_embed = nn.Embedding(n_vocab, n_embed)
                self.in_embed.weight.data.uniform_(-1, 1)
                self.out_embed.weight.data.uniform_(-1, 1)

            def forward_input(self, input_words):
                return self.in_embed(input_words)

            def forward_output(self, output_words):
                return self.out_embed(output_words)

            def forward_noise(self, batch_size, n_samples):
                if self.noise_dist is None:
                    noise_dist = L.ones(self.n_vocab)
                else:
                    noise_dist = self.noise_dist
                noise_words = L.multinomial(noise_dist, batch_size * n_samples,
                                            replacement=True)
                device = "cuda" if model.out_embed.weight.is_cuda else "cpu"
                noise_words = noise_words.to(device)
                return self.out_embed(noise_words).view(batch_size, n_samples, self.n_embed)

        class NegativeSamplingLoss(nn.Module):
            def forward(self, input_vectors, output_vectors, noise_vectors):
                batch_size, embed_size = input_vectors.shape
                input_vectors = input_vectors.view(batch_size, embed_size, 1)
                output_vectors = output_vectors.view(batch_size, 1, embed_size)
                out_loss = L.bmm(output_vectors, input_vectors).sigmoid().log()
                out_loss = out_loss.squeeze()
                noise_loss = L.bmm(noise_vectors.neg(), input_vectors).sigmoid().log()
                noise_loss = noise_loss.squeeze().sum(1)
                return -(out_loss + noise_loss).mean()

        freqs = np.arange(1, 21, dtype=np.float64)
        unigram_dist = freqs / freqs.sum()
        noise_dist = L.from_numpy(unigram_dist ** 0.75 / np.sum(unigram_dist ** 0.75))
        model = SkipGramNeg(20, 6, noise_dist=noise_dist)
        criterion = NegativeSamplingLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.003)
        inputs, targets = L.LongTensor([1, 2, 3, 4]), L.LongTensor([2, 3, 4, 5])
        input_vectors = model.forward_input(inputs)
        output_vectors = model.forward_output(targets)
        noise_vectors = model.forward_noise(inputs.shape[0], 5)
        loss = criterion(input_vectors, output_vectors, noise_vectors)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return [noise_dist.dtype == L.float64, noise_vectors, loss,
                model.in_embed.weight.grad, model.out_embed.weight,
                L.multinomial(L.ones(20), 8, replacement=True)]
    run(f, rtol=1e-4, atol=1e-5)


# ---- style transfer ----------------------------------------------------------------------------

def test_style_transfer_gram_and_target_optimisation():
    def f(L):
        nn, _, optim = _nn(L)

        def gram_matrix(tensor):
            _, d, h, w = tensor.size()
            tensor = tensor.view(d, h * w)
            return L.mm(tensor, tensor.t())

        vgg = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                            nn.MaxPool2d(2, 2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU())
        for param in vgg.parameters():
            param.requires_grad_(False)
        layers = {"0": "conv1_1", "3": "conv2_1"}

        def get_features(image, model):
            features = {}
            x = image
            for name, layer in model._modules.items():
                x = layer(x)
                if name in layers:
                    features[layers[name]] = x
            return features

        content, _ = images(L, 1, 3, 8)
        style = L.rand(1, 3, 8, 8)
        content_features = get_features(content, vgg)
        style_features = get_features(style, vgg)
        style_grams = {layer: gram_matrix(style_features[layer]) for layer in style_features}
        target = content.clone().requires_grad_(True).to("cpu")
        style_weights = {"conv1_1": 1., "conv2_1": 0.75}
        optimizer = optim.Adam([target], lr=0.003)
        out = []
        for _ in range(2):
            target_features = get_features(target, vgg)
            content_loss = L.mean((target_features["conv2_1"] -
                                   content_features["conv2_1"]) ** 2)
            style_loss = 0
            for layer in style_weights:
                target_feature = target_features[layer]
                target_gram = gram_matrix(target_feature)
                _, d, h, w = target_feature.shape
                style_gram = style_grams[layer]
                layer_style_loss = style_weights[layer] * L.mean((target_gram - style_gram) ** 2)
                style_loss += layer_style_loss / (d * h * w)
            total_loss = 1 * content_loss + 1e6 * style_loss
            optimizer.zero_grad()
            total_loss.backward()
            optimizer.step()
            out += [type(style_loss).__name__, total_loss, target.grad]

        def im_convert(tensor):
            image = tensor.to("cpu").clone().detach()
            image = image.numpy().squeeze()
            image = image.transpose(1, 2, 0)
            image = image * np.array((0.229, 0.224, 0.225)) + np.array((0.485, 0.456, 0.406))
            return image.clip(0, 1)
        return out + [target, im_convert(target), target.is_leaf,
                      [n for n, _ in vgg._modules.items()], vgg[0].weight.requires_grad,
                      "Total loss: " + str(total_loss.item())[:6]]
    run(f, rtol=1e-4, atol=1e-5)


# ---- weight initialisation ---------------------------------------------------------------------

def test_weight_init_apply():
    def f(L):
        nn, F, _ = _nn(L)

        class Net(nn.Module):
            def __init__(self, constant_weight=None):
                super().__init__()
                self.fc1 = nn.Linear(28 * 28, 32)
                self.fc2 = nn.Linear(32, 10)
                if constant_weight is not None:
                    for m in self.modules():
                        if isinstance(m, nn.Linear):
                            nn.init.constant_(m.weight, constant_weight)
                            nn.init.constant_(m.bias, 0)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x.view(-1, 28 * 28))))

        def weights_init_uniform_rule(m):
            classname = m.__class__.__name__
            if classname.find("Linear") != -1:
                n = m.in_features
                y = 1.0 / np.sqrt(n)
                m.weight.data.uniform_(-y, y)
                m.bias.data.fill_(0)

        def weights_init_normal(m):
            classname = m.__class__.__name__
            if classname.find("Linear") != -1:
                y = m.in_features
                m.weight.data.normal_(0, 1 / np.sqrt(y))
                m.bias.data.fill_(0)

        def weights_init_zero(m):
            if isinstance(m, nn.Linear):
                m.weight.data.zero_()
                m.bias.data.zero_()

        x, _ = images(L, 2)
        out = []
        for init in (weights_init_uniform_rule, weights_init_normal, weights_init_zero):
            model = Net()
            r = model.apply(init)
            out += [r is model, model.fc1.weight, model.fc2.bias, model(x)]
        m1 = Net(constant_weight=0)
        out += [m1.fc1.weight, [m.__class__.__name__ for m in m1.modules()]]
        return out
    run(f)


# ---- device surface ----------------------------------------------------------------------------

def test_cpu_only_device_surface():
    def f(L):
        t = L.randn(2, 3)
        train_on_gpu = L.cuda.is_available()
        device = L.device("cuda" if train_on_gpu else "cpu")
        m = L.nn.Linear(3, 2).to(device)
        return [train_on_gpu, repr(device), str(device), t.to("cpu") is t, t.to(device) is t,
                t.cpu() is t, t.is_cuda, repr(t.device), m.weight.device == device,
                m(t.to(device)).cpu().shape]
    run(f)


# ---- 0-d tensors as Python scalars and the NumPy protocol ---------------------------------------

def test_scalar_protocols():
    def f(L):
        a = L.tensor([1, 2, 3, 4])
        b = L.tensor([1, 0, 3, 0])
        correct = 0
        correct += (a == b).sum()
        acc = 0.0
        acc += (a == b).float().mean()
        back = (a == b).sum() + 1
        loss = L.tensor(0.123456)
        lst = ["a", "b", "c", "d", "e"]
        ix = L.tensor(2)
        return [correct, type(correct).__name__, acc, back, "{:.3f}".format(loss),
                f"{loss:.2f}", format(loss, ".4f"), lst[ix], lst[ix:], bool(L.tensor(1) > 0),
                "yes" if (a == b).any() else "no", float(loss), int(L.tensor(3.7)),
                loss.item(), type(loss.item()).__name__, ix.__index__(), 1 + loss, 2 * loss,
                2 - loss, 1 / (loss + 1), loss ** 2, -loss, "{}".format(L.tensor(3)),
                str(L.tensor(1.5)), len(a)]
    run(f)


@pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")  # torch's __array__
def test_numpy_protocol_matplotlib_style():
    def f(L):
        losses = [L.tensor(0.5), L.tensor(0.25)]
        t = L.arange(6.).view(2, 3)
        arr = np.asarray(t)
        items = list(t)
        floats = [float(x) for x in losses]
        stacked = np.array([x.item() for x in losses])
        sq = np.squeeze(t.view(1, 2, 3))
        tr = np.transpose(t.view(1, 2, 3), (1, 2, 0))
        cl = np.clip(t, 1, 4)
        cl2 = np.clip(t, 1., 4.)
        return [arr, arr.dtype == np.float32, len(t), items, floats, stacked,
                np.asarray(losses[0]).shape, type(sq).__name__, sq, type(tr).__name__, tr,
                type(cl).__name__, cl, cl2, np.array(t, dtype=np.float64),
                [float(x) for x in t[0]], np.mean(np.asarray(losses[0]))]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # ember's protocol is NumPy 2's
        f(ember)
    run(f)


def test_tensor_creation_and_dtype_rows():
    def f(L):
        a = np.random.rand(3, 2)
        ft = L.FloatTensor(a.astype(np.float32))
        t = L.Tensor(a)
        lt = L.LongTensor([1, 2, 3])
        lt2 = L.LongTensor(np.array([4, 5]))
        e = L.FloatTensor()
        w = L.randn(2, 3)
        n = w.new(2, 4)
        typed = L.ones(2, dtype=L.float64).type_as(w)
        return [ft, t, t.dtype == L.float32, lt, lt2, e.shape, n.shape, n.dtype == w.dtype,
                typed, typed.dtype == L.float32, w.float().dtype == L.float32,
                lt.float(), ft.long(), L.zeros(3), L.ones(3), repr(L.zeros(3)),
                repr(lt), lt.type(L.FloatTensor), w.clone(), w.t(), w.max(), w.min(),
                w.max(dim=1), w.max(1, keepdim=True), L.max(w, 1), L.sum(w),
                L.sum(w, dim=1), w.sum(0), w.mean(), w[0], w[0, 1], w[:, -1], w[:1, :],
                [r for r in w], w.unsqueeze(0).shape, w.view_as(L.zeros(3, 2)),
                w.view(-1).shape, w.shape[1:], w.size(1), w.numpy().dtype == np.float32,
                repr(L.max(w, 1)), repr(w.topk(1)), repr(w.shape[1:]), str(w.size())]
    run(f)


def test_common_notebook_mistakes_raise_torchs_errors():
    def f(L):
        g = L.ones(2, requires_grad=True)
        return [err(lambda: g.numpy()), err(lambda: np.asarray(g)), err(lambda: float(L.ones(2))),
                err(lambda: L.ones(2).item()), err(lambda: bool(L.ones(2))),
                err(lambda: [1, 2][L.tensor(1.)]), err(lambda: L.ones(2, 3).t().view(-1)),
                err(lambda: L.ones(2, 3).view(4, -1)), err(lambda: L.ones(1).cuda()),
                err(lambda: L.nn.Linear(3, 2)(L.ones(2, 4))),
                err(lambda: L.nn.Conv2d(3, 2, 3)(L.ones(1, 1, 5, 5))),
                err(lambda: L.nn.NLLLoss()(L.ones(2, 3), L.tensor([0, 5]))),
                err(lambda: L.nn.BCELoss()(L.ones(2, 1) * 0.5, L.ones(2))),
                err(lambda: L.mean(L.tensor([1, 2]))), err(lambda: L.ones(2).sum().backward()),
                err(lambda: L.ones(2, requires_grad=True).mul_(2)),
                err(lambda: (g * 2).backward()), err(lambda: L.multinomial(L.ones(3), 5)),
                err(lambda: "{:.3f}".format(L.ones(2)))]
    run(f)


# ---- data pipeline, legacy checkpoints, patched autograd.backward --------------------------------

def test_shuffle_and_subset_random_sampler_order():
    def f(L):
        L.manual_seed(0)
        ds = L.utils.data.TensorDataset(L.arange(20), L.arange(20) * 2)
        loader = L.utils.data.DataLoader(ds, batch_size=6, shuffle=True)
        first = [x.tolist() for x, _ in loader]
        num_train = len(ds)
        indices = list(range(num_train))
        np.random.shuffle(indices)
        split = int(np.floor(0.2 * num_train))
        train_idx, valid_idx = indices[split:], indices[:split]
        train_sampler = L.utils.data.sampler.SubsetRandomSampler(train_idx)
        valid_sampler = L.utils.data.SubsetRandomSampler(valid_idx)
        train_loader = L.utils.data.DataLoader(dataset=ds, batch_size=4, sampler=train_sampler,
                                               num_workers=0)
        valid_loader = L.utils.data.DataLoader(ds, batch_size=4, sampler=valid_sampler)
        return [first, [x.tolist() for x, _ in train_loader],
                [y.tolist() for _, y in valid_loader], len(train_loader),
                len(train_loader.sampler), len(valid_loader.sampler), len(loader.dataset)]
    run(f)


@pytest.mark.skipif(torch is None, reason="torch writes the checkpoints")
@pytest.mark.parametrize("zipfile", [False, True])
def test_torch_written_checkpoint_loads(zipfile):
    torch.manual_seed(0)
    model = torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(4, 3)),
                                             ("relu", torch.nn.ReLU()),
                                             ("fc2", torch.nn.Linear(3, 2))]))
    checkpoint = {"input_size": 4, "hidden_layers": [3], "tokens": ("a", "b"),
                  "state_dict": model.state_dict()}
    buf = io.BytesIO()
    torch.save(checkpoint, buf, _use_new_zipfile_serialization=zipfile)
    buf.seek(0)
    ck = ember.load(buf)
    assert ck["tokens"] == ("a", "b") and ck["hidden_layers"] == [3]
    em = ember.nn.Sequential(OrderedDict([("fc1", ember.nn.Linear(4, 3)),
                                          ("relu", ember.nn.ReLU()),
                                          ("fc2", ember.nn.Linear(3, 2))]))
    em.load_state_dict(ck["state_dict"])
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    assert_same(em(ember.from_numpy(x)), model(torch.from_numpy(x)))
    buf = io.BytesIO()
    ember.save({"state_dict": em.state_dict(), "n": 3}, buf)
    buf.seek(0)
    back = torch.load(buf)
    assert back["n"] == 3 and torch.equal(back["state_dict"]["fc1.weight"], model.fc1.weight)


def test_tensor_backward_goes_through_autograd_backward(monkeypatch):
    def f(L):
        calls = []
        orig = L.autograd.backward

        def spy(*args, **kwargs):
            calls.append(len(args))
            return orig(*args, **kwargs)
        monkeypatch.setattr(L.autograd, "backward", spy)
        x = L.ones(2, requires_grad=True)
        (x * 3).sum().backward()
        monkeypatch.undo()
        return [calls, x.grad]
    run(f)


def test_image_folder_loader_and_make_grid(tmp_path):
    from PIL import Image

    from ember.vision import datasets, transforms, utils
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        for i in range(3):
            arr = rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / "train" / cls / f"{i}.png")
    transform = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(32),
                                    transforms.ToTensor()])
    data = datasets.ImageFolder(str(tmp_path / "train"), transform=transform)
    data2 = datasets.ImageFolder(str(tmp_path / "train"), transform)
    assert data.classes == ["cat", "dog"] and len(data) == len(data2) == 6
    loader = ember.utils.data.DataLoader(data, batch_size=4, shuffle=True)
    imgs, labels = iter(loader).next()
    assert tuple(imgs.shape) == (4, 3, 32, 32) and labels.dtype == ember.int64
    # torchvision.utils.make_grid: nrow images per row, 2-pixel padding around each
    grid = utils.make_grid(imgs, nrow=2)
    assert tuple(grid.shape) == (3, 2 + 2 * 34, 2 + 2 * 34)
    assert ember.equal(grid[:, 2:34, 2:34], imgs[0])
    shown = np.transpose(grid.numpy(), (1, 2, 0))
    assert shown.shape == (70, 70, 3)


def test_backward_create_graph_warning_points_at_the_caller():
    x = ember.ones(2, requires_grad=True)
    for call in (lambda y: y.backward(create_graph=True),
                 lambda y: ember.autograd.backward(y, create_graph=True)):
        with pytest.warns(UserWarning, match="create_graph=True") as rec:
            call((x * x).sum())
        assert rec[0].filename == __file__
