"""LUT-mapped networks (ARCHITECTURE.md section 7): the contract, table enumeration and inference.

A LUT network is a list of partition layers. Partition m of layer l reads `fan_in` codes of the
previous layer (its connectivity, `conn[l][m]`), each `in_bits` wide, and emits one code of
`out_bits` bits through its truth table: address = sum_j code[conn[m, j]] << (j * in_bits) (input 0
in the least significant bits), output = table[m, address]. Layer 0 reads the input features
quantised by thresholds: code = number of thresholds t_k with feature >= t_k. The last layer has
num_classes * class_partitions partitions; class c scores the sum of the codes of partitions
c*K .. c*K+K-1 and the class is the argmax, ties to the lowest index.

Trained partitions are small float sub-networks (train/lutnet.py); `enumerate_tables` evaluates
them in float64 on every input code, so the tables are exactly what the trained network computes.
NumPy only (never torch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.formats import FormatError

MIN_CODE_BITS, MAX_CODE_BITS = 1, 8
# Largest partition address (fan_in * in_bits): a 4096-entry table is already about a hundred
# LUT6 per output bit in the worst case and minutes of synthesis per layer.
MAX_TABLE_ADDR_BITS = 12
FEATURE_BITS = 8  # input features (pixels) are uint8


class LutNetError(FormatError):
    """A LUT network parameter, connectivity or table outside the contract."""


@dataclass(frozen=True)
class LutLayerShape:
    """One partition layer: n_out partitions of fan_in inputs of in_bits bits, out_bits outputs."""

    index: int
    n_in: int
    n_out: int
    fan_in: int
    in_bits: int
    out_bits: int

    @property
    def addr_bits(self) -> int:
        return self.fan_in * self.in_bits

    @property
    def entries(self) -> int:
        """Entries of one partition's table."""
        return 1 << self.addr_bits

    @property
    def table_bits(self) -> int:
        """Bits of one partition's table (one line of the layer's .mem file)."""
        return self.entries * self.out_bits

    @property
    def layer_table_bits(self) -> int:
        return self.n_out * self.table_bits

    def check(self) -> None:
        where = f"LUT layer {self.index}"
        for name in ("in_bits", "out_bits"):
            bits = getattr(self, name)
            if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not MIN_CODE_BITS <= bits <= MAX_CODE_BITS:
                raise LutNetError(f"{where}: {name} (beta) must be an integer in {MIN_CODE_BITS}..{MAX_CODE_BITS}, got {bits!r}")
        if self.n_out < 1:
            raise LutNetError(f"{where}: needs at least one partition, got {self.n_out}")
        if not 1 <= self.fan_in <= self.n_in:
            raise LutNetError(f"{where}: fan-in F = {self.fan_in} must be in 1..{self.n_in} "
                              f"(the previous layer's {self.n_in} outputs)")
        if self.addr_bits > MAX_TABLE_ADDR_BITS:
            raise LutNetError(
                f"{where}: F*beta = {self.fan_in}*{self.in_bits} = {self.addr_bits} address bits gives tables of "
                f"2^{self.addr_bits} = {self.entries} entries x {self.out_bits} bits = {self.table_bits} bits per "
                f"partition ({self.layer_table_bits} bits for the layer's {self.n_out}); at most "
                f"{MAX_TABLE_ADDR_BITS} address bits can be enumerated and synthesised")


@dataclass(frozen=True)
class LutNetSpec:
    """The shape of a LUT network: input features and code width, then (n_out, fan_in, out_bits)
    per layer; the last layer's n_out must be num_classes * class_partitions."""

    in_features: int
    in_bits: int
    layers: tuple[tuple[int, int, int], ...]
    num_classes: int
    class_partitions: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(tuple(int(v) for v in layer) for layer in self.layers))
        if self.in_features < 1:
            raise LutNetError(f"in_features must be positive, got {self.in_features}")
        if not self.layers:
            raise LutNetError("a LUT network needs at least one layer")
        if self.num_classes < 2 or self.class_partitions < 1:
            raise LutNetError(f"need at least 2 classes and 1 partition per class, got {self.num_classes} "
                              f"and {self.class_partitions}")
        for shape in self.shapes:
            shape.check()
        last = self.layers[-1][0]
        if last != self.num_classes * self.class_partitions:
            raise LutNetError(f"LUT layer {len(self.layers) - 1} (the last): {last} partitions, expected "
                              f"num_classes * class_partitions = {self.num_classes}*{self.class_partitions}")

    @property
    def shapes(self) -> tuple[LutLayerShape, ...]:
        shapes, n_in, in_bits = [], self.in_features, self.in_bits
        for index, (n_out, fan_in, out_bits) in enumerate(self.layers):
            shapes.append(LutLayerShape(index, n_in, n_out, fan_in, in_bits, out_bits))
            n_in, in_bits = n_out, out_bits
        return tuple(shapes)

    @property
    def score_bits(self) -> int:
        """Width of a class score: the sum of class_partitions codes of the last layer's out_bits."""
        return int(self.class_partitions * ((1 << self.layers[-1][2]) - 1)).bit_length()

    def table_bits(self) -> int:
        return sum(shape.layer_table_bits for shape in self.shapes)


def uniform_thresholds(in_bits: int) -> np.ndarray:
    """The default input thresholds: t_k = k * 256 / 2^in_bits, so code = feature >> (8 - in_bits)."""
    if not MIN_CODE_BITS <= in_bits <= FEATURE_BITS:
        raise LutNetError(f"input bits must be in {MIN_CODE_BITS}..{FEATURE_BITS}, got {in_bits}")
    step = 1 << (FEATURE_BITS - in_bits)
    return np.arange(1, 1 << in_bits, dtype=np.int64) * step


def check_thresholds(thresholds, in_bits: int) -> np.ndarray:
    """2^in_bits - 1 strictly increasing thresholds in 1..255."""
    t = np.asarray(thresholds, dtype=np.int64)
    expected = (1 << in_bits) - 1
    if t.shape != (expected,):
        raise LutNetError(f"input thresholds: expected {expected} values for {in_bits}-bit codes, got shape {t.shape}")
    if np.any(t < 1) or np.any(t > (1 << FEATURE_BITS) - 1) or np.any(np.diff(t) <= 0):
        raise LutNetError(f"input thresholds must increase strictly within 1..255, got {t.tolist()}")
    return t


def quantize_input(features: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """uint8 features [..., n] -> codes: the number of thresholds each feature reaches."""
    x = np.asarray(features)
    if x.dtype != np.uint8:
        raise LutNetError(f"input features must be uint8, got {x.dtype}")
    return (x[..., None].astype(np.int64) >= np.asarray(thresholds)).sum(axis=-1).astype(np.int64)


def draw_connectivity(spec: LutNetSpec, seed: int, layer0_inputs: np.ndarray | None = None) -> list[np.ndarray]:
    """The connectivity rule: per layer, partitions take their F distinct inputs in turn from a
    stream of seeded random permutations of the candidate inputs (layer 0: `layer0_inputs`, for
    example the features that vary on the training split; default all; later layers: all), so
    every candidate is read about equally often. An input already taken by the partition is
    deferred to the next partition. Deterministic for (spec, seed, candidates)."""
    conns = []
    for shape in spec.shapes:
        candidates = np.arange(shape.n_in) if shape.index or layer0_inputs is None else np.asarray(layer0_inputs)
        if len(candidates) < shape.fan_in:
            raise LutNetError(f"LUT layer {shape.index}: fan-in {shape.fan_in} but only {len(candidates)} candidate inputs")
        rng = np.random.default_rng([seed, shape.index])
        pool: list[int] = []
        conn = np.zeros((shape.n_out, shape.fan_in), dtype=np.int64)
        for m in range(shape.n_out):
            chosen: list[int] = []
            deferred: list[int] = []
            while len(chosen) < shape.fan_in:
                if not pool:
                    pool = [int(v) for v in rng.permutation(candidates)][::-1]
                x = pool.pop()
                (deferred if x in chosen else chosen).append(x)
            pool.extend(reversed(deferred))
            conn[m] = chosen
        conns.append(conn)
    return conns


def draw_window_connectivity(shape: LutLayerShape, seed: int, side: int, window: int) -> np.ndarray:
    """Layer 0 of an image network: partition m reads F distinct pixels drawn at random from a
    window x window square of the side x side image (row-major features), the squares' corners
    taken in turn from seeded random permutations of every corner that keeps the square inside
    the image, so every part of the image is read about equally often. Deterministic for the seed."""
    if side * side != shape.n_in or not 1 <= window <= side or window * window < shape.fan_in:
        raise LutNetError(f"LUT layer 0: a {window}x{window} window on a {side}x{side} image cannot give "
                          f"{shape.fan_in} distinct inputs of the {shape.n_in} features")
    rng = np.random.default_rng([seed, 0, window])
    corners = np.arange((side - window + 1) ** 2)
    order = np.concatenate([rng.permutation(corners) for _ in range(-(-shape.n_out // len(corners)))])
    conn = np.zeros((shape.n_out, shape.fan_in), dtype=np.int64)
    for m in range(shape.n_out):
        row, col = divmod(int(order[m]), side - window + 1)
        cells = rng.choice(window * window, size=shape.fan_in, replace=False)
        conn[m] = (row + cells // window) * side + col + cells % window
    return conn


def check_connectivity(spec: LutNetSpec, conns) -> list[np.ndarray]:
    shapes = spec.shapes
    if len(conns) != len(shapes):
        raise LutNetError(f"connectivity for {len(conns)} layers, the network has {len(shapes)}")
    out = []
    for shape, conn in zip(shapes, conns):
        c = np.asarray(conn, dtype=np.int64)
        if c.shape != (shape.n_out, shape.fan_in):
            raise LutNetError(f"LUT layer {shape.index}: connectivity shape {c.shape}, expected {(shape.n_out, shape.fan_in)}")
        if np.any(c < 0) or np.any(c >= shape.n_in):
            m = int(np.argwhere((c < 0) | (c >= shape.n_in))[0][0])
            raise LutNetError(f"LUT layer {shape.index} partition {m}: input index outside 0..{shape.n_in - 1}: {c[m].tolist()}")
        out.append(c)
    return out


def input_codes(fan_in: int, bits: int) -> np.ndarray:
    """[2^(fan_in*bits), fan_in]: input j of address e is (e >> (j*bits)) & (2^bits - 1)."""
    e = np.arange(1 << (fan_in * bits), dtype=np.int64)
    return (e[:, None] >> (np.arange(fan_in) * bits)) & ((1 << bits) - 1)


def addresses(codes: np.ndarray, conn: np.ndarray, in_bits: int) -> np.ndarray:
    """codes [B, n_in] -> table addresses [B, n_out] of the partitions reading them via conn."""
    gathered = codes[:, conn]  # [B, n_out, F]
    return (gathered << (np.arange(conn.shape[1]) * in_bits)).sum(axis=-1)


def round_half_up_codes(y: np.ndarray, out_bits: int) -> np.ndarray:
    """The partition output quantiser: floor(y + 1/2) saturated to 0..2^out_bits - 1."""
    return np.clip(np.floor(y + 0.5), 0, (1 << out_bits) - 1).astype(np.int64)


def subnet_forward(params: dict, x: np.ndarray) -> np.ndarray:
    """The partition sub-networks of one layer in float64 (train/lutnet.py PartitionLayer):
    x [B, M, F] scaled input codes -> y [B, M] before the output quantiser.

    h_1 = relu(W_in x + b_in); h_{k+1} = relu(W_k h_k + b_k) + h_k (skip connections);
    y = w_out . h_last + w_lin . x + b_out."""
    x = np.asarray(x, dtype=np.float64)
    h = np.maximum(np.einsum("bmf,mnf->bmn", x, params["w_in"]) + params["b_in"], 0.0)
    for w, b in zip(params["w_hid"], params["b_hid"]):
        h = np.maximum(np.einsum("bmn,mkn->bmk", h, w) + b, 0.0) + h
    return np.einsum("bmn,mn->bm", h, params["w_out"]) + np.einsum("bmf,mf->bm", x, params["w_lin"]) + params["b_out"]


def scale_codes(codes: np.ndarray, bits: int) -> np.ndarray:
    """Codes as the sub-networks see them: code / (2^bits - 1), in [0, 1]."""
    return np.asarray(codes, dtype=np.float64) / ((1 << bits) - 1)


def enumerate_tables(shape: LutLayerShape, params: dict, chunk: int = 64) -> np.ndarray:
    """Truth tables [n_out, entries] of one layer: every partition on every input code."""
    x = scale_codes(input_codes(shape.fan_in, shape.in_bits), shape.in_bits)  # [E, F]
    tables = np.zeros((shape.n_out, shape.entries), dtype=np.int64)
    for start in range(0, shape.n_out, chunk):
        stop = min(start + chunk, shape.n_out)
        part = {k: (v[:, start:stop] if k in ("w_hid", "b_hid") else v[start:stop]) for k, v in params.items()}
        xb = np.broadcast_to(x[:, None, :], (x.shape[0], stop - start, shape.fan_in))
        tables[start:stop] = round_half_up_codes(subnet_forward(part, xb), shape.out_bits).T
    return tables


@dataclass
class LutNetwork:
    """A LUT network as pure table look-ups (the golden model of deltamac_lutnet_top)."""

    spec: LutNetSpec
    thresholds: np.ndarray
    conns: list[np.ndarray]
    tables: list[np.ndarray]  # [n_out, entries] per layer

    def __post_init__(self) -> None:
        self.thresholds = check_thresholds(self.thresholds, self.spec.in_bits)
        self.conns = check_connectivity(self.spec, self.conns)
        if len(self.tables) != len(self.conns):
            raise LutNetError(f"tables for {len(self.tables)} layers, the network has {len(self.conns)}")
        for shape, table in zip(self.spec.shapes, self.tables):
            t = np.asarray(table)
            if t.shape != (shape.n_out, shape.entries):
                raise LutNetError(f"LUT layer {shape.index}: table shape {t.shape}, expected {(shape.n_out, shape.entries)}")
            if np.any(t < 0) or np.any(t >= 1 << shape.out_bits):
                raise LutNetError(f"LUT layer {shape.index}: a table entry outside 0..{(1 << shape.out_bits) - 1}")

    def layer_codes(self, features: np.ndarray) -> list[np.ndarray]:
        """[input codes, layer 0 codes, ..., last layer codes] for uint8 features [B, in_features]."""
        x = np.asarray(features)
        if x.ndim != 2 or x.shape[1] != self.spec.in_features:
            raise LutNetError(f"expected features [B, {self.spec.in_features}], got shape {x.shape}")
        codes = [quantize_input(x, self.thresholds)]
        for shape, conn, table in zip(self.spec.shapes, self.conns, self.tables):
            addr = addresses(codes[-1], conn, shape.in_bits)
            codes.append(np.asarray(table)[np.arange(shape.n_out)[None, :], addr])
        return codes

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Class scores [B, num_classes]: the sum of each class's last-layer codes."""
        last = self.layer_codes(features)[-1]
        return last.reshape(len(last), self.spec.num_classes, self.spec.class_partitions).sum(axis=-1)

    def predict(self, features: np.ndarray, batch: int = 2048) -> np.ndarray:
        """Classes: argmax of the scores, ties to the lowest index (np.argmax's rule)."""
        x = np.asarray(features)
        return np.concatenate([np.argmax(self.scores(x[i:i + batch]), axis=1) for i in range(0, len(x), batch)]) \
            if len(x) else np.zeros(0, dtype=np.int64)
