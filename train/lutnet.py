"""LUT-mapped networks (ARCHITECTURE.md section 7): partitioned sparse layers whose circuit
neurons are small float sub-networks, trained with quantised codes between partitions, then
enumerated into truth tables (model.lutnet) and exported (model.lutnet_export).

Deterministic for a seed (one torch thread), resumable from `checkpoint.pt`, model selection on
the validation split (the last 5,000 training images), one progress line per epoch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from model.datasets import IMAGE_SIDE
from model.lutnet import LutLayerShape, LutNetError, LutNetSpec, LutNetwork, draw_connectivity, \
    draw_window_connectivity, enumerate_tables, uniform_thresholds
from model.lutnet_export import check_tables, export_lutnet, load_lutnet_export
from train.config import ConfigError, DEFAULT_DATASET
from train.trainer import CHECKPOINT, REPORT, VALIDATION_IMAGES, accuracy, as_tensors, cached_dataset

# name -> the options it sets (LutRunConfig fields); `make train CONFIG=<name>` trains it.
LUT_PRESETS: dict[str, dict] = {
    # MNIST within the 15,000-LUT budget: 2,048 two-bit partitions of 6 binary pixels of a 5x5
    # window (one LUT6 per output bit), 2,000 one-bit partitions of 3 of those codes, 200 voting
    # per class (popcount scores); 12 epochs with 1-pixel shifts. Seed 0: 9,234 LUT (Yosys xc7)
    "lut-mnist": {"dataset": "mnist", "in_bits": 1, "window": 5, "layers": ((2048, 6, 2), (2000, 3, 1)),
                  "class_partitions": 200, "shift": 1, "epochs": 12},
    # lut-mnist scaled to fit the XC7S15 (8,000 LUT) with its AXI-Stream wrapper
    "lut-mnist-s15": {"dataset": "mnist", "in_bits": 1, "window": 5, "layers": ((1600, 6, 2), (1600, 3, 1)),
                      "class_partitions": 160, "shift": 1, "epochs": 12},
    # lut-mnist-s15's network on FashionMNIST, beside the delta-MAC s15
    "lut-fmnist": {"dataset": "fashion-mnist", "in_bits": 1, "window": 5, "layers": ((1600, 6, 2), (1600, 3, 1)),
                   "class_partitions": 160, "shift": 1, "epochs": 12},
    # a small network for CI and the benches: seconds to train, export, simulate and synthesise
    "lut-tiny": {"dataset": "mnist", "in_bits": 1, "layers": ((64, 6, 2), (40, 4, 2)), "class_partitions": 4,
                 "width": 8, "depth": 1, "epochs": 2},
}
NUM_CLASSES = 10
IN_FEATURES = 784


@dataclass(frozen=True)
class LutRunConfig:
    config: str = "lut-mnist"
    in_bits: int = 1
    layers: tuple[tuple[int, int, int], ...] = ((256, 6, 2), (100, 4, 2), (200, 4, 2))
    class_partitions: int = 20
    width: int = 16  # inner width N of a partition's sub-network
    depth: int = 2  # hidden layers of the sub-network (residual skips between them)
    window: int | None = None  # layer 0 reads F pixels of a window x window square (None: any varying pixel)
    shift: int = 0  # augmentation: training images moved by up to `shift` pixels each way (0: none; images only)
    epochs: int = 30
    seed: int = 0
    batch_size: int = 128
    lr: float = 5e-3
    dataset: str = DEFAULT_DATASET
    data_root: str | None = None
    limit_train: int | None = None
    build_root: str = "build"
    threads: int = 1
    pixels_per_beat: int | None = None  # of the export; None: the whole image per beat
    in_features: int = IN_FEATURES  # tabular data: the file's feature count
    num_classes: int = NUM_CLASSES

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(tuple(int(v) for v in layer) for layer in self.layers))
        for name in ("width", "epochs", "batch_size", "threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.depth < 0:
            raise ConfigError(f"--depth must be at least 0, got {self.depth}")
        if self.shift < 0 or (self.shift and self.in_features != IMAGE_SIDE * IMAGE_SIDE):
            raise ConfigError(f"--shift must be 0, or 1.. for {IMAGE_SIDE}x{IMAGE_SIDE} images, got {self.shift} "
                              f"with {self.in_features} features")
        if self.limit_train is not None and self.limit_train < self.batch_size:
            raise ConfigError(f"--limit-train {self.limit_train} is smaller than one batch ({self.batch_size} images)")
        try:
            self.spec
            if self.window is not None:
                draw_window_connectivity(self.spec.shapes[0], 0, IMAGE_SIDE, self.window)
        except LutNetError as exc:
            raise ConfigError(f"LUT network {self.config}: {exc}") from None

    @classmethod
    def preset(cls, name: str, **overrides) -> LutRunConfig:
        if name not in LUT_PRESETS:
            raise ConfigError(f"unknown LUT preset {name!r}; expected one of: {', '.join(LUT_PRESETS)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls(config=name, **(LUT_PRESETS[name] | given))

    @property
    def spec(self) -> LutNetSpec:
        return LutNetSpec(self.in_features, self.in_bits, self.layers, self.num_classes, self.class_partitions)

    @property
    def variant(self) -> str:
        """'' for the preset itself; 'seed<S>' for another seed; else v<hash of the recipe>-seed<S>."""
        own, preset = self.recipe(), LutRunConfig.preset(self.config).recipe() if self.config in LUT_PRESETS else None
        own_seedless = {k: v for k, v in own.items() if k != "seed"}
        if preset is not None and own_seedless == {k: v for k, v in preset.items() if k != "seed"}:
            return "" if self.seed == 0 else f"seed{self.seed}"
        digest = hashlib.sha256(json.dumps(own_seedless, sort_keys=True).encode()).hexdigest()[:8]
        return f"v{digest}-seed{self.seed}"

    @property
    def out_dir(self) -> Path:
        return Path(self.build_root) / self.config / self.variant

    def recipe(self) -> dict:
        """What determines the trained network (not where it is written or how fast)."""
        keep = asdict(self)
        for name in ("build_root", "data_root", "threads", "pixels_per_beat"):
            keep.pop(name)
        keep["layers"] = [list(layer) for layer in self.layers]
        return keep


def load_splits(cfg: LutRunConfig):
    """(train, validation, test) as torch tensors; validation: the last VALIDATION_IMAGES training
    samples, or a tenth of a smaller (tabular) training set."""
    images, labels = cached_dataset(cfg.dataset, "train", cfg.data_root)
    test_images, test_labels = cached_dataset(cfg.dataset, "test", cfg.data_root)
    if images.shape[1] != cfg.in_features or int(labels.max()) >= cfg.num_classes:
        raise ConfigError(f"{cfg.dataset}: {images.shape[1]} features and classes up to {int(labels.max())}, the network "
                          f"expects {cfg.in_features} features and {cfg.num_classes} classes")
    n_val = min(VALIDATION_IMAGES, len(images) // 10)
    if n_val < 1:
        raise ConfigError(f"the {cfg.dataset} training set has {len(images)} samples, too few for validation")
    train = as_tensors(images[:-n_val][: cfg.limit_train], labels[:-n_val][: cfg.limit_train])
    return train, as_tensors(images[-n_val:], labels[-n_val:]), as_tensors(test_images, test_labels)


def shifted(images: torch.Tensor, shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image [B, side*side] moved by a random (dy, dx) in -shift..shift, zeros shifted in."""
    side = IMAGE_SIDE
    padded = torch.nn.functional.pad(images.reshape(-1, side, side), (shift,) * 4)
    offsets = torch.randint(0, 2 * shift + 1, (len(images), 2), generator=generator)
    rows = (offsets[:, 0, None] + torch.arange(side))[:, :, None]
    cols = (offsets[:, 1, None] + torch.arange(side))[:, None, :]
    return padded[torch.arange(len(images))[:, None, None], rows, cols].reshape(len(images), -1)


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x + 0.5)


def quantize_codes(y: torch.Tensor, bits: int) -> torch.Tensor:
    """The partition output quantiser (model.lutnet.round_half_up_codes) with a straight-through
    gradient inside the range and none outside."""
    clamped = y.clamp(0.0, float((1 << bits) - 1))
    return clamped + (round_half_up(clamped) - clamped).detach()


class PartitionLayer(nn.Module):
    """n_out sub-networks, each reading fan_in scaled codes of the previous layer (model.lutnet.subnet_forward)."""

    def __init__(self, shape: LutLayerShape, conn: np.ndarray, width: int, depth: int, generator: torch.Generator):
        super().__init__()
        m, f, n = shape.n_out, shape.fan_in, width
        self.shape = shape
        self.register_buffer("conn", torch.as_tensor(conn, dtype=torch.long))

        def rand(*size, std):
            return nn.Parameter(torch.randn(*size, generator=generator) * std)

        self.w_in = rand(m, n, f, std=math.sqrt(2.0 / f))
        self.b_in = nn.Parameter(torch.zeros(m, n))
        self.w_hid = rand(depth, m, n, n, std=0.5 * math.sqrt(2.0 / n))
        self.b_hid = nn.Parameter(torch.zeros(depth, m, n))
        self.w_out = rand(m, n, std=math.sqrt(1.0 / n))
        self.w_lin = rand(m, f, std=math.sqrt(1.0 / f))
        # start every partition in the middle of its output range
        self.b_out = nn.Parameter(torch.full((m,), ((1 << shape.out_bits) - 1) / 2.0))

    def forward(self, prev: torch.Tensor) -> torch.Tensor:
        """prev [B, n_in] scaled codes -> y [B, n_out] before the output quantiser."""
        return self.subnet(prev[:, self.conn])

    def subnet(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, n_out, fan_in]: each partition's own scaled input codes -> y [B, n_out]."""
        h = torch.relu(torch.einsum("bmf,mnf->bmn", x, self.w_in) + self.b_in)
        for w, b in zip(self.w_hid, self.b_hid):
            h = torch.relu(torch.einsum("bmn,mkn->bmk", h, w) + b) + h
        return torch.einsum("bmn,mn->bm", h, self.w_out) + torch.einsum("bmf,mf->bm", x, self.w_lin) + self.b_out

    def params_numpy(self) -> dict:
        return {name: getattr(self, name).detach().double().numpy().copy()
                for name in ("w_in", "b_in", "w_hid", "b_hid", "w_out", "w_lin", "b_out")}


class LutNetModel(nn.Module):
    """The trainable LUT network; `forward` returns class scores (sums of quantised codes)."""

    def __init__(self, cfg: LutRunConfig, layer0_inputs: np.ndarray):
        super().__init__()
        self.spec = cfg.spec
        self.register_buffer("thresholds", torch.as_tensor(uniform_thresholds(cfg.in_bits)))
        generator = torch.Generator().manual_seed(cfg.seed)
        conns = draw_connectivity(self.spec, cfg.seed, layer0_inputs)
        if cfg.window is not None:
            conns[0] = draw_window_connectivity(self.spec.shapes[0], cfg.seed, IMAGE_SIDE, cfg.window)
        self.layers = nn.ModuleList(PartitionLayer(s, c, cfg.width, cfg.depth, generator)
                                    for s, c in zip(self.spec.shapes, conns))
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def input_codes(self, pixels: torch.Tensor) -> torch.Tensor:
        return (pixels.long()[..., None] >= self.thresholds).sum(-1)

    def codes(self, pixels: torch.Tensor) -> list[torch.Tensor]:
        """Integer codes of every layer (as floats), the network the tables compute."""
        codes = self.input_codes(pixels).to(self.layers[0].w_in.dtype)
        bits, out = self.spec.in_bits, []
        for layer in self.layers:
            codes = quantize_codes(layer(codes / ((1 << bits) - 1)), layer.shape.out_bits)
            bits = layer.shape.out_bits
            out.append(codes)
        return out

    def scores(self, pixels: torch.Tensor) -> torch.Tensor:
        last = self.codes(pixels)[-1]
        return last.reshape(len(last), self.spec.num_classes, self.spec.class_partitions).sum(-1)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.scores(pixels) * self.log_temperature.exp()

    def conns(self) -> list[np.ndarray]:
        return [layer.conn.numpy().copy() for layer in self.layers]


def integer_predict(model: LutNetModel, pixels: torch.Tensor, batch: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The torch integer simulation: the trained network in float64 (the precision the tables are
    enumerated in), returning (scores, classes with ties to the lowest index)."""
    double = copy.deepcopy(model).double().eval()
    scores = []
    with torch.no_grad():
        for i in range(0, len(pixels), batch):
            scores.append(double.scores(pixels[i:i + batch]).round().long().numpy())
    s = np.concatenate(scores)
    return s, np.argmax(s, axis=1)


def to_lutnetwork(model: LutNetModel) -> tuple[LutNetwork, list[dict]]:
    params = [layer.params_numpy() for layer in model.layers]
    tables = [enumerate_tables(layer.shape, p) for layer, p in zip(model.layers, params)]
    return LutNetwork(model.spec, model.thresholds.numpy(), model.conns(), tables), params


def varying_features(images: np.ndarray) -> np.ndarray:
    """Layer-0 candidates: the features that are not constant on the training split."""
    flat = images.reshape(len(images), -1)
    return np.flatnonzero(flat.min(axis=0) != flat.max(axis=0))


def evaluate(model: LutNetModel, pixels: torch.Tensor, labels: torch.Tensor, batch: int = 2000) -> float:
    model.eval()
    with torch.no_grad():
        pred = np.concatenate([model.scores(pixels[i:i + batch]).argmax(1).numpy() for i in range(0, len(pixels), batch)])
    return accuracy(pred, labels)


def run(cfg: LutRunConfig, resume: bool = False, log=print) -> dict:
    """Train, enumerate, export and check one LUT network; writes report.json and returns it."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = load_splits(cfg)
    model = LutNetModel(cfg, varying_features(train_x.numpy()))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(train_x) / cfg.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch,
                                                   pct_start=0.1)
    state = {"epoch": 0, "best_val": -1.0, "best": None, "history": [], "train_seconds": 0.0}
    ckpt = out / CHECKPOINT
    if resume and ckpt.is_file():
        saved = torch.load(ckpt, weights_only=False)
        if saved["recipe"] != cfg.recipe():
            log(f"[lut] {ckpt}: another recipe, starting again")
        else:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            schedule.load_state_dict(saved["schedule"])
            state = saved["state"]
            torch.set_rng_state(saved["rng"])
            log(f"[lut] resuming {out} at epoch {state['epoch']}/{cfg.epochs}")
    loss_fn = nn.CrossEntropyLoss()
    while state["epoch"] < cfg.epochs:
        start = time.time()
        model.train()
        order = torch.randperm(len(train_x))
        shift_rng = torch.Generator().manual_seed(cfg.seed * 100_003 + state["epoch"])  # resumable: per epoch
        total = 0.0
        for i in range(0, len(train_x), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            images = shifted(train_x[idx], cfg.shift, shift_rng) if cfg.shift else train_x[idx]
            loss = loss_fn(model(images), train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        val = evaluate(model, val_x, val_y)
        state["epoch"] += 1
        state["train_seconds"] += time.time() - start
        state["history"].append({"epoch": state["epoch"], "loss": round(total / len(train_x), 4), "val_acc": val})
        if val > state["best_val"]:
            state["best_val"], state["best"] = val, {k: v.clone() for k, v in model.state_dict().items()}
        torch.save({"recipe": cfg.recipe(), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(), "state": state, "rng": torch.get_rng_state()}, ckpt)
        log(f"[lut] {cfg.config} epoch {state['epoch']}/{cfg.epochs} loss {total / len(train_x):.4f} "
            f"val {val:.4f} (best {state['best_val']:.4f}) {time.time() - start:.0f}s")
    model.load_state_dict(state["best"])
    return finish(model, cfg, state, test_x, test_y, log)


def load_trained(cfg: LutRunConfig) -> LutNetModel:
    """The selected (best validation) network of a finished run, from its checkpoint."""
    ckpt = cfg.out_dir / CHECKPOINT
    if not ckpt.is_file():
        raise ConfigError(f"{ckpt}: no checkpoint; train it first (make train CONFIG={cfg.config})")
    saved = torch.load(ckpt, weights_only=False)
    if saved["recipe"] != cfg.recipe() or saved["state"]["best"] is None:
        raise ConfigError(f"{ckpt}: holds another recipe or an unfinished run")
    (train_x, _), _, _ = load_splits(cfg)
    model = LutNetModel(cfg, varying_features(train_x.numpy()))
    model.load_state_dict(saved["state"]["best"])
    return model


def finish(model: LutNetModel, cfg: LutRunConfig, state: dict, test_x, test_y, log) -> dict:
    """Enumerate the tables, export, read back and check: tables = sub-networks on every entry,
    table inference = torch integer simulation on every test image."""
    out = cfg.out_dir
    start = time.time()
    net, params = to_lutnetwork(model)
    enumerate_seconds = time.time() - start
    manifest = export_lutnet(net, out, cfg.config, params, cfg.pixels_per_beat,
                             extra={"recipe": cfg.recipe(), "dataset": cfg.dataset})
    loaded = load_lutnet_export(out)
    check_tables(loaded, params)
    images = test_x.numpy()
    scores, simulated = integer_predict(model, test_x)
    golden_scores = loaded.scores(images)
    differ = np.flatnonzero((golden_scores != scores).any(axis=1))
    if differ.size:
        i = int(differ[0])
        raise LutNetError(f"{out}: table inference and torch integer simulation disagree on {differ.size} of "
                          f"{len(images)} images (first: image {i}, tables {golden_scores[i].tolist()}, torch {scores[i].tolist()})")
    shapes = cfg.spec.shapes
    report = {
        "architecture": "lutnet", "dataset": cfg.dataset, "config": cfg.config, "seed": cfg.seed,
        "epochs": cfg.epochs, "limit_train": cfg.limit_train, "recipe": cfg.recipe(),
        "val_acc": state["best_val"], "quant_acc": accuracy(np.argmax(golden_scores, axis=1), test_y),
        "float_acc": None, "integer_sim_equals_golden": True, "tables_equal_partitions": True,
        "in_bits": cfg.in_bits, "class_partitions": cfg.class_partitions, "width": cfg.width, "depth": cfg.depth,
        "fan_in": [s.fan_in for s in shapes], "beta": [s.out_bits for s in shapes],
        "partitions": [s.n_out for s in shapes], "table_entries": [s.entries for s in shapes],
        "table_bits": manifest["table_bits"], "enumerate_seconds": round(enumerate_seconds, 1),
        "train_seconds": round(state["train_seconds"], 1), "history": state["history"],
    }
    (out / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    log(f"[lut] {out / REPORT}: test accuracy {report['quant_acc']:.4f} (tables = torch integer simulation on "
        f"{len(images)} images), {manifest['table_bits']} table bits")
    return report
