"""Run configuration: presets, option checking and where a run's files go."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

from model.formats import (ACT_BITS, DeltaFormat, FormatError, LayerPrecision, Scheme, core_format,
                           format_bits_spec, layer_formats, parse_bits_spec)
from model.cnn import MNIST_INPUT, LayerSpec, format_layers, layer_shapes, parse_layers, weight_rows
from model.folding import check_folding_for, check_pixels_per_beat
from model.planner import BUDGETS, NetShape, check_budget
from model.packing import RomLayout, topology_rows

IN_PIXELS, NUM_CLASSES = 784, 10
# Hidden layer sizes of the named topologies (input 784 and output 10 are implied).
PRESETS: dict[str, tuple[int, ...]] = {
    # The published network.
    "paper": (150, 16, 400, 120, 84),
    # The most accurate MLP whose compressed store fits the XC7S15 beside the core at P=16,
    # fixed_reference 4-bit (chosen by `python -m train.fit`, see docs/train.md).
    "s15": (80, 16),
    # s15's topology on the dataflow core (ARCHITECTURE.md section 6), PRESET_DEFAULTS below.
    "s15-dataflow": (80, 16),
    # FINN's TFC (the published FINN + Brevitas benchmark's network), for the precision x
    # parallelism benchmark (scripts/bench.py).
    "tfc": (64, 64, 64),
}
# CNN presets (model.cnn layer lists over the 28x28x1 image; ARCHITECTURE.md section 9).
CNN_PRESETS: dict[str, str] = {
    # The most accurate of the CNNs measured on the validation split whose weights and two
    # feature-map buffers fit the XC7S15's block RAM (324,424 of 368,640 bits; docs/train.md, "CNNs").
    "cnn-s15": "conv3x3:16,maxpool2x2,conv3x3:32,maxpool2x2,conv3x3:32,flatten,dense:10",
}
# Options a preset sets unless given. s15-dataflow: 2-bit deltas (88.27 % for s15, 3 seeds) so
# that the block RAMs deliver twice the weights per cycle, 4 pixels per input beat, and the
# fastest folding `python -m model plan --topology 784-80-16-10 --delta-bits 2
# --pixels-per-beat 4 --margin 0.05` finds on the XC7S15 (330 words per image in layer 0), with
# layer 1 at two neurons in parallel (160 words, not 320): two neighbouring engines share a
# ping-pong buffer, so their words plus the hand-over latency must fit in two intervals (the
# planner's 4:dsp measured 347 cycles per image, this 331; docs/rtl.md).
# A preset with a folding is exported for the dataflow core; the others for the shared-lane core
# at --lanes unless --folding is given.
PRESET_DEFAULTS: dict[str, dict] = {
    "s15-dataflow": {"delta_bits": 2, "folding": "12x16:delta,4x2:dsp,1:dsp", "pixels_per_beat": 4},
}
SCHEMES = ("float", "plain", "fixed_reference", "consecutive")
ACTIVATIONS = {"relu": "relu", "hardtanh": "clamp"}  # torch name -> golden model name
DELTA_BITS_RANGE = (2, 8)
PLAIN_WEIGHT_BITS_RANGE = (2, 8)
RUN_PLACEMENT = ("build_root", "data_root", "threads", "folding", "pixels_per_beat", "budget")  # options that do not change what is trained
DEFAULT_SCHEME, DEFAULT_WEIGHT_BITS, DEFAULT_DELTA_BITS, DEFAULT_SEED = "fixed_reference", 8, 4, 0
DEFAULT_DATASET = "fashion-mnist"


class ConfigError(ValueError):
    """A run option that cannot work; the message says which and why."""


@dataclass(frozen=True)
class RunConfig:
    config: str = "s15"
    scheme: str = DEFAULT_SCHEME
    weight_bits: int = DEFAULT_WEIGHT_BITS
    delta_bits: int | None = None  # None: the preset's (PRESET_DEFAULTS), else DEFAULT_DELTA_BITS
    group: int | None = None  # None: one reference per row
    bits: str | None = None  # per-layer precision spec (model.formats.parse_bits_spec); None: uniform, 8-bit activations
    folding: str | None = None  # dataflow export (model.folding); None: the preset's (PRESET_DEFAULTS) or none
    pixels_per_beat: int | None = None  # of a dataflow export; None: the preset's, else 1
    budget: str = "xc7s15"  # device a dataflow folding must fit (model.planner.BUDGETS), or "none"
    epochs: int = 20
    float_epochs: int | None = None  # None: a third of the epochs (all of them for scheme float)
    seed: int = DEFAULT_SEED
    lanes: int = 16
    activation: str = "relu"
    hidden: tuple[int, ...] | None = None  # None: the preset's hidden sizes
    cnn: str | None = None  # a custom CNN's layer list (model.cnn.parse_layers); None: the preset's
    limit_train: int | None = None
    batch_size: int = 256
    lr: float = 2e-3
    distill: float = 0.0  # QAT loss weight of distillation from the trained float network (0..1)
    dataset: str = DEFAULT_DATASET
    data_root: str | None = None
    build_root: str = "build"
    threads: int = 1  # torch threads; 2 spin-waiting threads on a busy 2-core machine run ~25x slower

    def __post_init__(self) -> None:
        if self.config not in PRESETS and self.config not in CNN_PRESETS and self.hidden is None and self.cnn is None:
            raise ConfigError(
                f"unknown preset {self.config!r}; expected one of: {', '.join([*PRESETS, *CNN_PRESETS])} "
                "(or give --hidden for a custom MLP, --cnn for a custom CNN)"
            )
        if self.hidden is not None and (self.cnn is not None or self.config in CNN_PRESETS):
            raise ConfigError(f"--hidden sets an MLP's hidden layers; {self.cnn or self.config!r} is a CNN "
                              "(give --cnn for custom CNN layers)")
        if self.is_cnn:
            self._check_cnn()
        if self.delta_bits is None:
            object.__setattr__(self, "delta_bits", self.preset_default("delta_bits", DEFAULT_DELTA_BITS))
        if self.scheme not in SCHEMES:
            raise ConfigError(f"unknown scheme {self.scheme!r}; expected one of: {', '.join(SCHEMES)}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"unknown activation {self.activation!r}; expected one of: {', '.join(ACTIVATIONS)}"
            )
        if self.scheme == "plain":
            _check_range("--weight-bits for scheme plain", self.weight_bits, PLAIN_WEIGHT_BITS_RANGE)
        if self.scheme in ("fixed_reference", "consecutive"):
            _check_range("--delta-bits", self.delta_bits, DELTA_BITS_RANGE)
            if self.weight_bits < self.delta_bits:
                raise ConfigError(
                    f"--weight-bits {self.weight_bits} is smaller than --delta-bits {self.delta_bits}: "
                    "decoded weights must be at least as wide as the deltas"
                )
        for name in ("epochs", "lanes", "batch_size", "threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.distill <= 1.0:
            raise ConfigError(f"--distill must be in 0..1, got {self.distill}")
        if self.distill > 0 and (not self.quantized or self.n_float_epochs == 0):
            raise ConfigError("--distill needs a trained float teacher: a quantised scheme with --float-epochs "
                              f"of at least 1 (got scheme {self.scheme}, {self.n_float_epochs} float epochs)")
        if self.float_epochs is not None and not 0 <= self.float_epochs <= self.epochs:
            raise ConfigError(f"--float-epochs must be in 0..{self.epochs}, got {self.float_epochs}")
        if self.limit_train is not None and self.limit_train < self.batch_size:
            raise ConfigError(
                f"--limit-train {self.limit_train} is smaller than one batch ({self.batch_size} images)"
            )
        if not self.is_cnn and any(n < 1 for n in self.hidden_sizes):
            raise ConfigError(f"hidden layer sizes must be positive, got {self.hidden_sizes}")
        if self.bits is not None:
            self._check_bits()
        if self.budget != "none" and self.budget not in BUDGETS:
            raise ConfigError(f"unknown --budget {self.budget!r}; expected one of: {', '.join([*BUDGETS, 'none'])}")
        if self.export_folding is not None:
            self._check_folding()
        elif self.pixels_per_beat is not None:
            raise ConfigError("--pixels-per-beat is part of a dataflow export: give --folding (or a dataflow preset)")
        if self.delta_format is not None:
            for index, ((n_in, _), fmt) in enumerate(zip(self.rows, self.layer_formats)):
                try:
                    fmt.group_size(n_in)
                except FormatError as err:
                    raise ConfigError(f"--group: layer {index} of {self.topology_name}: {err}") from None
            try:
                problems = RomLayout.from_rows(self.rows, self.core_format, self.lanes, acc_bits=0).rtl_group_problems()
            except FormatError as err:
                raise ConfigError(f"--lanes: {err}") from None
            if problems:  # the export would refuse it: fail before training
                raise ConfigError(f"--group {self.group} cannot be exported for the RTL at {self.lanes} lanes: "
                                  + "; ".join(problems))

    def _check_cnn(self) -> None:
        """A CNN's layer list must parse and fit the image; it runs on the shared-lane core's format only."""
        try:
            layer_shapes(MNIST_INPUT, self.cnn_specs)
        except FormatError as err:
            raise ConfigError(f"--cnn: {err}" if self.cnn is not None else f"preset {self.config}: {err}") from None
        if self.export_folding is not None or self.pixels_per_beat is not None:
            raise ConfigError("--folding and --pixels-per-beat export for the dataflow core, which runs MLPs; a CNN "
                              "is exported in the shared-lane core's ROM format")

    def _check_bits(self) -> None:
        """--bits must parse for this topology, under a quantised scheme, into formats one
        shared-lane core can store; a spec equal to the uniform default is the default (bits None)."""
        if not self.quantized:
            raise ConfigError("--bits sets per-layer integer precisions: it needs a quantised --scheme, not float")
        try:
            precisions = parse_bits_spec(self.bits, self.n_layers)
            formats = layer_formats(precisions, Scheme.from_name(self.scheme), self.delta_bits, self.group)
            core = core_format(formats)
        except FormatError as err:
            raise ConfigError(f"--bits: {err}") from None
        if core.scheme == Scheme.CONSECUTIVE:
            for index, fmt in enumerate(formats):
                if fmt.scheme == Scheme.PLAIN and fmt.weight_bits + 1 > core.delta_bits:
                    raise ConfigError(
                        f"--bits: layer {index} ({precisions[index].label()}) is stored plain, and a consecutive core "
                        f"with {core.delta_bits}-bit deltas cannot hold the steps between its {fmt.weight_bits}-bit "
                        f"weights (needs {fmt.weight_bits + 1}); use fixed_reference or a wider d")
        if formats == (self.delta_format,) * len(formats) and all(p.in_bits == ACT_BITS for p in precisions):
            object.__setattr__(self, "bits", None)
        else:
            object.__setattr__(self, "bits", format_bits_spec(precisions))

    def _check_folding(self) -> None:
        """A dataflow export needs integer layers and a folding that suits them (before training)."""
        if not self.quantized:
            raise ConfigError("--folding exports for the dataflow core: it needs a quantised --scheme, not float")
        try:
            foldings = check_folding_for(self.sizes, self.layer_formats, (ACT_BITS, *self.act_bits), self.export_folding)
        except FormatError as err:
            raise ConfigError(f"--folding: {err}") from None
        try:
            check_pixels_per_beat(self.sizes, foldings, self.export_pixels_per_beat)
        except FormatError as err:
            raise ConfigError(f"--pixels-per-beat: {err}") from None
        if self.budget != "none":  # the planner's resource model: refuse a folding that cannot fit
            shape = NetShape.from_spec(self.sizes, self.layer_formats, self.act_bits,
                                       ACTIVATIONS[self.activation], self.export_pixels_per_beat)
            try:
                check_budget(shape, foldings, self.budget)
            except FormatError as err:
                raise ConfigError(f"--folding: {err} (python -m model plan finds one that fits; --budget none "
                                  "skips the check)") from None

    def preset_default(self, option: str, default):
        """The preset's value of an option it sets (PRESET_DEFAULTS; none for a custom --hidden or --cnn)."""
        custom = self.hidden is not None or self.cnn is not None
        return default if custom else PRESET_DEFAULTS.get(self.config, {}).get(option, default)

    @property
    def export_folding(self) -> str | None:
        """The folding the run is exported with for the dataflow core, None: the shared-lane core."""
        return self.folding if self.folding is not None else self.preset_default("folding", None)

    @property
    def export_pixels_per_beat(self) -> int:
        """Pixels per input beat of the dataflow export (its deltamac_dataflow_top default); the
        preset's only with the preset's folding."""
        if self.pixels_per_beat is not None:
            return self.pixels_per_beat
        return self.preset_default("pixels_per_beat", 1) if self.folding is None else 1

    @property
    def precisions(self) -> tuple[LayerPrecision, ...] | None:
        """The per-layer spec, None when every layer has the run's format and 8-bit activations."""
        return None if self.bits is None else parse_bits_spec(self.bits, self.n_layers)

    @property
    def layer_formats(self) -> tuple[DeltaFormat, ...] | None:
        """Each layer's weight format (None for scheme float)."""
        if not self.quantized:
            return None
        if self.bits is None:
            return (self.delta_format,) * self.n_layers
        return layer_formats(self.precisions, Scheme.from_name(self.scheme), self.delta_bits, self.group)

    @property
    def act_bits(self) -> tuple[int, ...]:
        """Each hidden layer's output activation width."""
        if self.bits is None:
            return (ACT_BITS,) * (self.n_layers - 1)
        return tuple(p.in_bits for p in self.precisions[1:])

    @property
    def core_format(self) -> DeltaFormat | None:
        """What the shared-lane core's ROMs store (model.formats.core_format)."""
        return None if not self.quantized else core_format(self.layer_formats)

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return self.hidden if self.hidden is not None else PRESETS[self.config]

    @property
    def sizes(self) -> tuple[int, ...]:
        return (IN_PIXELS, *self.hidden_sizes, NUM_CLASSES)

    @property
    def is_cnn(self) -> bool:
        return self.cnn is not None or (self.hidden is None and self.config in CNN_PRESETS)

    @property
    def cnn_specs(self) -> tuple[LayerSpec, ...]:
        """A CNN's layer list (model.cnn); CnnError for a list that does not parse."""
        return parse_layers(self.cnn if self.cnn is not None else CNN_PRESETS[self.config])

    @property
    def rows(self) -> tuple[tuple[int, int], ...]:
        """(n_in, n_out) of every layer's weight matrix (a conv2d layer's n_in is kh*kw*C_in)."""
        return weight_rows(MNIST_INPUT, self.cnn_specs) if self.is_cnn else topology_rows(self.sizes)

    @property
    def n_layers(self) -> int:
        return len(self.rows)

    @property
    def topology_name(self) -> str:
        if self.is_cnn:
            return format_layers(self.cnn_specs)
        return "-".join(str(n) for n in self.sizes)

    @property
    def quantized(self) -> bool:
        return self.scheme != "float"

    @property
    def n_float_epochs(self) -> int:
        if not self.quantized:
            return self.epochs
        return self.float_epochs if self.float_epochs is not None else math.ceil(self.epochs / 3)

    @property
    def delta_format(self) -> DeltaFormat | None:
        """The golden model's storage format, None for scheme float."""
        if not self.quantized:
            return None
        scheme = Scheme.from_name(self.scheme)
        delta_bits = self.weight_bits if scheme == Scheme.PLAIN else self.delta_bits
        try:
            return DeltaFormat(scheme, self.weight_bits, delta_bits, self.group)
        except FormatError as err:
            raise ConfigError(str(err)) from None

    @property
    def variant(self) -> str:
        """'' for the default variant, else a name holding every non-default storage option and the seed."""
        if self.scheme == "float":
            return f"float-seed{self.seed}"
        widths = f"w{self.weight_bits}" if self.bits is None else self.bits.replace(",", "_")
        if self.scheme == "plain":
            return f"plain-{widths}-seed{self.seed}"
        default = (self.scheme, self.weight_bits, self.delta_bits, self.group, self.seed, self.bits) == (
            DEFAULT_SCHEME, DEFAULT_WEIGHT_BITS, self.preset_default("delta_bits", DEFAULT_DELTA_BITS), None,
            DEFAULT_SEED, None)
        if default:
            return ""
        group = "row" if self.group is None else str(self.group)
        return f"{self.scheme}-{widths}-d{self.delta_bits}-g{group}-seed{self.seed}"

    @property
    def run_name(self) -> str:
        """The config name: the preset, or the topology for custom hidden sizes, with the dataset
        when it is not FashionMNIST (so an MNIST run never overwrites a FashionMNIST one)."""
        if self.cnn is not None:
            name = "cnn-" + self.topology_name.replace(",", "-").replace(":", "_")
        else:
            name = self.config if self.hidden is None else f"mlp-{self.topology_name}"
        return name if self.dataset == DEFAULT_DATASET else f"{name}-{self.dataset}"

    @property
    def out_dir(self) -> Path:
        return Path(self.build_root) / self.run_name / self.variant

    def to_json(self) -> dict:
        data = asdict(self)
        if self.is_cnn:
            del data["hidden"]
            data["cnn"] = self.topology_name
        else:  # MLP runs keep the configuration (and recipe) they had before CNNs
            data["hidden"] = list(self.hidden_sizes)
            del data["cnn"]
        if self.bits is None:  # uniform runs keep the configuration (and recipe) they had before --bits
            del data["bits"]
        for key in ("folding", "pixels_per_beat"):  # the same for the export options (never in the recipe)
            if data[key] is None:
                del data[key]
        return data

    def recipe(self) -> dict:
        """Every option that shapes the trained network: to_json without where files are or how
        many threads run. Two runs with one recipe train the same network."""
        return {key: value for key, value in self.to_json().items() if key not in RUN_PLACEMENT}


def _check_range(what: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ConfigError(f"{what} must be in {low}..{high}, got {value}")


def parse_group(text: str) -> int | None:
    """'row' -> None (one reference per row), else a positive group size."""
    if text == "row":
        return None
    try:
        group = int(text)
    except ValueError:
        raise ConfigError(f"--group must be 'row' or a positive integer, got {text!r}") from None
    if group < 1:
        raise ConfigError(f"--group must be 'row' or a positive integer, got {group}")
    return group
