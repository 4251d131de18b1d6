"""``bss2 run path-integration``: path integration on the emulated chip, with the rate-based
reference, optional CMA-ES tuning, figures and saved results."""
from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass

import numpy as np

from . import chip, plots, rate, tuning, world


@dataclass(frozen=True)
class InsectConfig:
    journeys: int = 100
    outbound_steps: int = 1000
    homing_steps: int = 1000
    curve_lengths: tuple = (250, 500)
    """extra outbound lengths for the closest-approach curve"""
    curve_journeys: int = 10
    seed: int = 0
    chip_id: int = 0
    ideal: bool = False
    workers: int = 2
    chunk: int = 5
    """journeys per Dask task"""
    tune_generations: int = 0
    tune_population: int = 6
    tune_journeys: int = 4
    tune_steps: int = 300
    gains: rate.Gains = chip.CHIP_GAINS
    """gains of the chip's circuit (the rate model runs with its own, ``rate.Gains()``)"""
    frame_block: int = chip.ChipSettings().frame_block
    """steps per rotation of the heading frame on the chip (0: off)"""

    def __post_init__(self) -> None:
        for name in ("journeys", "outbound_steps", "homing_steps", "workers", "chunk", "curve_journeys"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} = {getattr(self, name)}: must be >= 1")
        if self.tune_generations < 0:
            raise ValueError(f"tune_generations = {self.tune_generations}: must be >= 0")
        if not 0 <= self.frame_block <= 255:
            raise ValueError(f"frame_block = {self.frame_block}: must be 0 (no frame rotation) .. 255 steps")

    @property
    def settings(self) -> chip.ChipSettings:
        return chip.ChipSettings(frame_block=self.frame_block)


def _chunk(args: tuple) -> dict:
    gains, n, outbound, homing, seed, chip_id, ideal, offsets, settings = args
    r = chip.run_journeys(gains, n, outbound, homing, seed=seed, chip_id=chip_id, ideal=ideal, offsets=offsets,
                          settings=settings)
    return {"positions": r.journeys.positions, "headings": r.journeys.headings, "closest": r.closest_approach,
            "memory": r.memory, "sample_every": r.sample_every, "wall_s": r.wall_s, "cycles": r.cycles_per_call}


def chip_journeys(config: InsectConfig, gains: rate.Gains, n: int, outbound: int, map_function,
                  offsets: chip.CircuitOffsets) -> dict:
    """``n`` journeys on the chip in chunks of ``config.chunk`` (one Dask task each)."""
    sizes = [min(config.chunk, n - k) for k in range(0, n, config.chunk)]
    args = [(gains, m, outbound, config.homing_steps, config.seed * 100003 + 1009 * i + outbound, config.chip_id,
             config.ideal, offsets, config.settings) for i, m in enumerate(sizes)]
    parts = list(map_function(_chunk, args))
    out = {k: np.concatenate([p[k] for p in parts]) for k in ("positions", "headings", "closest", "memory")}
    out["sample_every"] = parts[0]["sample_every"]
    out["cycles"] = max(p["cycles"] for p in parts)
    return out


@dataclass
class InsectResult:
    config: InsectConfig
    gains: rate.Gains
    journeys: world.Journeys
    closest: np.ndarray
    turning: np.ndarray
    memory: np.ndarray
    curve: dict
    rate_success: float
    wall_s: float
    cycles_per_call: int
    tuning_history: np.ndarray | None = None
    backend: str = "emulator"

    @property
    def success_rate(self) -> float:
        return float(np.mean(self.closest < world.HOME_RANGE))

    @property
    def journeys_per_second(self) -> float:
        return len(self.closest) / self.wall_s

    def summary(self) -> dict:
        return {"success_rate": self.success_rate, "journeys_per_second": self.journeys_per_second,
                "journeys": len(self.closest), "outbound_steps": self.config.outbound_steps,
                "homing_steps": self.config.homing_steps, "home_range": world.HOME_RANGE,
                "mean_closest_approach": float(np.mean(self.closest)),
                "sd_closest_approach": float(np.std(self.closest)),
                "mean_turning_distance": float(np.mean(self.turning)),
                "closest_vs_outbound": {k: {"outbound_steps": list(map(int, v[0])), "mean": list(map(float, v[1])),
                                            "sd": list(map(float, v[2]))} for k, v in self.curve.items()},
                "rate_model_success_rate": self.rate_success, "wall_s": self.wall_s,
                "ppu_cycles_per_call": self.cycles_per_call, "gains": self.gains.as_dict(),
                "config": {k: v for k, v in asdict(self.config).items() if k != "gains"}}

    def save(self, base: str, provenance) -> str:
        from bss2_experiments.results import run_folder, save_result
        folder = run_folder(base, "insect")
        fig = plots.figure(self.journeys, self.closest, self.curve,
                           f"path integration on {self.backend} (chip {self.config.chip_id})")
        arrays = {"positions": self.journeys.positions, "headings": self.journeys.headings,
                  "closest_approach": self.closest, "turning_distance": self.turning, "memory": self.memory}
        if self.tuning_history is not None:
            arrays["tuning_history"] = self.tuning_history
        save_result(folder, "insect", provenance, self.summary(), arrays, fig)
        return str(folder)


def run(config: InsectConfig, progress: bool = True) -> InsectResult:
    """Tune (optional), then ``config.journeys`` journeys on the chip, the closest-approach
    curve on the chip and the rate model, all spread over ``config.workers`` Dask workers."""
    from tqdm import tqdm
    from bss2_experiments.distributed import dask_client, mapper
    gains = config.gains
    history = None
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(n_workers=config.workers)) if config.workers > 1 else None
        fmap = mapper(client)
        if config.tune_generations:
            bar = tqdm(total=config.tune_generations, desc="CMA-ES", disable=not progress)
            tuned = tuning.tune(gains, config.tune_generations, config.tune_population, config.tune_journeys,
                                config.tune_steps, config.tune_steps, seed=config.seed, chip_id=config.chip_id,
                                map_function=fmap, progress=lambda g, h: (bar.update(1), bar.set_postfix(best=h[0])),
                                settings=config.settings)
            bar.close()
            gains, history = tuned.best, tuned.history
        start = time.perf_counter()
        offsets = chip.measure_offsets(gains, config.settings, seed=config.seed, chip_id=config.chip_id,
                                       ideal=config.ideal)
        main = chip_journeys(config, gains, config.journeys, config.outbound_steps, fmap, offsets)
        wall = time.perf_counter() - start
        curve_chip = [chip_journeys(config, gains, config.curve_journeys, n, fmap, offsets)["closest"]
                      for n in config.curve_lengths]
    journeys = world.Journeys(main["positions"], main["headings"], config.outbound_steps // main["sample_every"])
    lengths = sorted(set(config.curve_lengths) | {config.outbound_steps})
    chip_closest = dict(zip(config.curve_lengths, curve_chip))
    chip_closest[config.outbound_steps] = main["closest"]
    rate_closest = {n: rate.run_journeys(rate.Gains(), config.journeys, n, config.homing_steps,
                                         seed=config.seed).closest_approach() for n in lengths}
    curve = {"chip (spiking)": (lengths, [np.mean(chip_closest[n]) for n in lengths],
                                [np.std(chip_closest[n]) for n in lengths]),
             "rate model (NumPy)": (lengths, [np.mean(rate_closest[n]) for n in lengths],
                                    [np.std(rate_closest[n]) for n in lengths])}
    return InsectResult(config, gains, journeys, main["closest"], journeys.turning_distance(), main["memory"], curve,
                        float(np.mean(rate_closest[config.outbound_steps] < world.HOME_RANGE)), wall, main["cycles"],
                        history)
