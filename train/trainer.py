"""One training run: float pre-training, quantisation-aware training, export, bit-exact check,
report.json. Deterministic for a seed and resumable from `checkpoint.pt` in the run's build dir."""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from model.accounting import cnn_budget, stored_bits
from model.datasets import load_dataset
from model.export import dataflow_stored_bits, export_dataflow, export_network, load_export
from model.inference import predict
from model.network import QuantNetwork, describe_precision
from train.config import ConfigError, RUN_PLACEMENT, RunConfig
from train.intsim import IntegerSimulation
from model.cnn import MNIST_INPUT
from train.net import DeltaCNN, DeltaMLP, DeltaNet, predict_forward

VALIDATION_IMAGES = 5000  # the last images of the training set, for model selection
CALIBRATION_IMAGES = 5000
LABEL_SMOOTHING = 0.1
DISTILL_TEMPERATURE = 2.0
WEIGHT_DECAY = 5e-4
QAT_LR_FACTOR = 0.5  # quantisation-aware training fine-tunes a trained network
FLOAT_BITS = 32
CHECKPOINT = "checkpoint.pt"
REPORT = "report.json"


class ExportMismatch(RuntimeError):
    """The exported network does not predict what the trained one does."""


@dataclass
class RunResult:
    report: dict
    model: DeltaNet
    network: QuantNetwork | None  # None for scheme float


@lru_cache(maxsize=2)
def cached_dataset(name: str, split: str, root: str | None) -> tuple[np.ndarray, np.ndarray]:
    """model.datasets.load_dataset, read once per process (sweeps and tests run many trainings)."""
    return load_dataset(name, split, root)


def load_splits(cfg: RunConfig):
    """(train, validation, test) splits as (uint8 images, int64 labels) torch tensors."""
    images, labels = cached_dataset(cfg.dataset, "train", cfg.data_root)
    test_images, test_labels = cached_dataset(cfg.dataset, "test", cfg.data_root)
    if len(images) <= VALIDATION_IMAGES:
        raise ConfigError(f"the {cfg.dataset} training set has {len(images)} images, too few for validation")
    train = as_tensors(images[:-VALIDATION_IMAGES][: cfg.limit_train], labels[:-VALIDATION_IMAGES][: cfg.limit_train])
    val = as_tensors(images[-VALIDATION_IMAGES:], labels[-VALIDATION_IMAGES:])
    return train, val, as_tensors(test_images, test_labels)


def as_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


def make_optimizer(model: DeltaNet, lr: float) -> torch.optim.Optimizer:
    """AdamW; weight decay only on the linear and convolution weights (not on biases, BatchNorm or scales)."""
    decayed = [module.weight for module in model.weight_modules]
    ids = {id(p) for p in decayed}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return torch.optim.AdamW([{"params": decayed, "weight_decay": WEIGHT_DECAY},
                              {"params": rest, "weight_decay": 0.0}], lr=lr)


def accuracy(predictions: np.ndarray, labels: torch.Tensor) -> float:
    return float((torch.from_numpy(predictions) == labels).double().mean())


def quant_predict(model: DeltaNet, images: torch.Tensor) -> np.ndarray:
    return IntegerSimulation(model.to_quant_network()).predict(images.numpy())


def verify_export(net: QuantNetwork, out_dir: Path, images: np.ndarray) -> np.ndarray:
    """Golden-model predictions of the export read back from out_dir; raises ExportMismatch unless
    they equal the torch integer simulation of `net` on every image and the weights read back."""
    loaded, _ = load_export(out_dir)
    if loaded.formats != net.formats:
        raise ExportMismatch(f"{out_dir}: the per-layer weight formats read back differ from the trained network's")
    for index, (ours, theirs) in enumerate(zip(net.layers, loaded.layers)):
        for name in ("weights", "bias", "mult", "req_shift", "delta_shift", "activation", "in_signed", "act_bits", "in_bits"):
            if not np.array_equal(getattr(ours, name), getattr(theirs, name)):
                raise ExportMismatch(f"{out_dir}: layer {index} {name} read back differs from the trained network")
    golden = predict(loaded, images)
    simulated = IntegerSimulation(net).predict(images)
    differ = np.flatnonzero(golden != simulated)
    if differ.size:
        raise ExportMismatch(
            f"{out_dir}: torch integer simulation and golden model disagree on {differ.size} of {len(images)} "
            f"images (first: image {differ[0]}, torch {simulated[differ[0]]}, golden {golden[differ[0]]})"
        )
    return golden


def run(cfg: RunConfig, resume: bool = False, log=print) -> RunResult:
    """Train, export and check one configuration; writes report.json."""
    torch.set_num_threads(cfg.threads)
    out = cfg.out_dir
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = load_splits(cfg)
    torch.manual_seed(cfg.seed)
    pixels = train_x.float() / 255.0
    if cfg.is_cnn:
        model = DeltaCNN(cfg.cnn_specs, MNIST_INPUT, cfg.activation, cfg.layer_formats, float(pixels.std()),
                         cfg.act_bits)
    else:
        model = DeltaMLP(cfg.sizes, cfg.activation, cfg.layer_formats, float(pixels.mean()), float(pixels.std()),
                         cfg.act_bits)
    del pixels
    optimizer = make_optimizer(model, cfg.lr)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    state = {"epoch": 0, "best_val": -1.0, "best_model": None, "float_acc": None, "train_seconds": 0.0, "history": []}
    checkpoint = out / CHECKPOINT
    if resume and checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        # The recipe decides: where the files go and how the network is exported may differ.
        if {k: v for k, v in saved["config"].items() if k not in RUN_PLACEMENT} != cfg.recipe():
            raise ConfigError(f"{checkpoint} was written by a different configuration ({saved['config']}); "
                              "run without --resume to start over")
        model.load_state_dict(saved["model"])
        optimizer = make_optimizer(model, cfg.lr)
        optimizer.load_state_dict(saved["optimizer"])
        shuffle.set_state(saved["shuffle"])
        state = saved["state"]
        log(f"[train] resuming {out} after epoch {state['epoch']}")
    teacher = make_teacher(model, state)
    out.mkdir(parents=True, exist_ok=True)
    precision = "float" if not cfg.quantized else cfg.delta_format.describe() + (f" bits {cfg.bits}" if cfg.bits else "")
    log(f"[train] {cfg.run_name} {cfg.topology_name} {precision} "
        f"seed={cfg.seed} -> {out}")

    n_float = cfg.n_float_epochs
    for epoch in range(state["epoch"], cfg.epochs):
        if epoch == n_float and not bool(model.quantizing):
            optimizer = begin_quantization(model, state, cfg, train_x, (val_x, val_y), (test_x, test_y), log)
            teacher = make_teacher(model, state)
        started = time.perf_counter()
        quantizing = bool(model.quantizing)
        phase_epochs = cfg.epochs - n_float if quantizing else n_float
        phase_epoch = epoch - n_float if quantizing else epoch
        base_lr = cfg.lr * (QAT_LR_FACTOR if quantizing else 1.0)
        desc = f"epoch {epoch + 1}/{cfg.epochs} {'qat' if quantizing else 'float'}"
        loss = train_epoch(model, teacher, cfg.distill, optimizer, train_x, train_y, cfg.batch_size, shuffle,
                           base_lr, phase_epoch, phase_epochs, desc)
        val_acc = accuracy(quant_predict(model, val_x) if quantizing else predict_forward(model, val_x), val_y)
        state["train_seconds"] += time.perf_counter() - started
        state["history"].append({"epoch": epoch + 1, "phase": "qat" if quantizing else "float",
                                 "loss": loss, "val_acc": val_acc})
        if val_acc > state["best_val"]:
            state["best_val"], state["best_model"] = val_acc, copy.deepcopy(model.state_dict())
        state["epoch"] = epoch + 1
        log(f"[train] epoch {epoch + 1}/{cfg.epochs} {'qat' if quantizing else 'float'}: loss {loss:.4f} "
            f"val_acc {val_acc:.4f} (best {state['best_val']:.4f}) {state['train_seconds']:.0f}s")
        torch.save({"config": cfg.to_json(), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "shuffle": shuffle.get_state(), "state": state}, checkpoint)
    if cfg.quantized and not bool(model.quantizing):  # all epochs were float: quantise after training
        begin_quantization(model, state, cfg, train_x, (val_x, val_y), (test_x, test_y), log)
    model.load_state_dict(state["best_model"])
    return finish(model, state, cfg, test_x, test_y, out, log)


def begin_quantization(model, state, cfg, train_x, val, test, log) -> torch.optim.Optimizer:
    """Keep the best float network, record its test accuracy, and switch to QAT with a fresh optimizer."""
    if state["best_model"] is not None:
        model.load_state_dict(state["best_model"])
    state["teacher"] = copy.deepcopy(model.state_dict()) if cfg.distill > 0 else None
    (val_x, val_y), (test_x, test_y) = val, test
    state["float_acc"] = accuracy(predict_forward(model, test_x), test_y)
    model.start_quantization(train_x[:CALIBRATION_IMAGES].float())
    # The freshly quantised network is the first candidate of the QAT phase.
    state["best_val"] = accuracy(quant_predict(model, val_x), val_y)
    state["best_model"] = copy.deepcopy(model.state_dict())
    log(f"[train] float network: test acc {state['float_acc']:.4f}; quantised with delta shifts "
        f"{model.delta_shifts.tolist()}: val acc {state['best_val']:.4f}")
    return make_optimizer(model, cfg.lr * QAT_LR_FACTOR)


def make_teacher(model: DeltaNet, state: dict) -> DeltaNet | None:
    """The frozen float network QAT distils from (None without --distill or before QAT)."""
    if state.get("teacher") is None:
        return None
    teacher = copy.deepcopy(model)
    teacher.load_state_dict(state["teacher"])
    teacher.requires_grad_(False)
    return teacher.eval()


def qat_loss(logits, labels, teacher_logits, distill: float) -> torch.Tensor:
    """Label-smoothed cross-entropy, mixed with Hinton distillation from the float teacher."""
    loss = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=LABEL_SMOOTHING)
    if teacher_logits is None:
        return loss
    t = DISTILL_TEMPERATURE
    soft = torch.nn.functional.kl_div(torch.log_softmax(logits / t, -1), torch.log_softmax(teacher_logits / t, -1),
                                      reduction="batchmean", log_target=True) * t * t
    return (1 - distill) * loss + distill * soft


def train_epoch(model, teacher, distill, optimizer, images, labels, batch_size, shuffle, base_lr, phase_epoch,
                phase_epochs, desc):
    """One pass over the shuffled training set with a per-step cosine learning rate over the phase."""
    model.train()
    order = torch.randperm(len(images), generator=shuffle)
    steps = len(images) // batch_size  # drop the ragged last batch (BatchNorm statistics)
    total = 0.0
    # A bar only on a terminal: in a log it would be hundreds of carriage-return states per epoch
    # (the epoch's summary line is logged either way).
    for step in tqdm(range(steps), desc=desc, leave=False, unit="batch", disable=not sys.stderr.isatty()):
        progress = (phase_epoch + step / steps) / phase_epochs
        for group in optimizer.param_groups:
            group["lr"] = base_lr * 0.5 * (1 + math.cos(math.pi * progress))
        batch = order[step * batch_size:(step + 1) * batch_size]
        pixels = images[batch].float()
        teacher_logits = None
        if teacher is not None:
            with torch.no_grad():
                teacher_logits = teacher(pixels)
        loss = qat_loss(model(pixels), labels[batch], teacher_logits, distill)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / steps


def finish(model, state, cfg, test_x, test_y, out: Path, log) -> RunResult:
    n_weights = sum(n_in * n_out for n_in, n_out in cfg.rows)
    report = {
        "dataset": cfg.dataset, "topology": cfg.topology_name if cfg.is_cnn else list(cfg.sizes),
        "config": cfg.run_name, "variant": cfg.variant,
        "scheme": cfg.scheme, "activation": cfg.activation, "weight_bits": cfg.weight_bits,
        "delta_bits": None, "group": "row" if cfg.group is None else cfg.group,
        "float_acc": state["float_acc"], "quant_acc": None, "val_acc": state["best_val"],
        "weight_bits_plain": n_weights * 8, "weight_bits_stored": n_weights * FLOAT_BITS,
        "compression_ratio": 8 / FLOAT_BITS, "lanes": cfg.lanes, "bram18": None,
        "epochs": cfg.epochs, "float_epochs": cfg.n_float_epochs, "seed": cfg.seed,
        "limit_train": cfg.limit_train, "recipe": cfg.recipe(),
        "train_seconds": round(state["train_seconds"], 1), "history": state["history"],
    }
    net = None
    if cfg.quantized:
        net = model.to_quant_network()
        name = f"{cfg.run_name}-{cfg.variant or 'default'}"
        if cfg.export_folding is None:
            manifest = export_network(net, out, cfg.lanes, name)
            bits = stored_bits(net, cfg.lanes)
        else:
            manifest = export_dataflow(net, out, cfg.export_folding, name, cfg.export_pixels_per_beat)
            bits = dataflow_stored_bits(net, cfg.export_folding)
            report |= {"architecture": "dataflow", "folding": manifest["folding"]["text"], "lanes": None,
                       "pixels_per_beat": manifest["pixels_per_beat"]}
        golden = verify_export(net, out, test_x.numpy())
        report |= {
            "delta_bits": cfg.delta_format.delta_bits, "delta_shifts": model.delta_shifts.tolist(),
            "bits": describe_precision(net), "act_bits": [layer.act_bits for layer in net.layers[:-1]],
            "quant_acc": accuracy(golden, test_y), "integer_sim_equals_golden": True,
            "weight_bits_plain": bits.total.baseline_bits, "weight_bits_stored": bits.total.stored_bits,
            "compression_ratio": bits.compression_ratio,
            "bram18": {rom: entry["bram18"] for rom, entry in manifest["roms"].items()}
                      | {"total": sum(entry["bram18"] for entry in manifest["roms"].values())},
        }
        if cfg.is_cnn:
            report |= {"budget": cnn_budget(net, cfg.lanes)}
    else:
        report["float_acc"] = accuracy(predict_forward(model, test_x), test_y)
    (out / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    log(f"[train] {out / REPORT}: float_acc {report['float_acc']:.4f} quant_acc {report['quant_acc']} "
        f"stored/plain {report['weight_bits_stored']}/{report['weight_bits_plain']} bits, "
        f"{report['train_seconds']}s training")
    return RunResult(report, model, net)
