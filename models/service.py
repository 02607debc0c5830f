"""The one owner of the CNN: analyses, Grad-CAM, channel attribution, the stage table.

Loaded once, in eval mode, with frozen parameters. Nothing here keeps
per-request state: activations are returned by the forward pass itself and
gradients come from ``torch.autograd.grad`` on tensors local to one call, so
concurrent requests in different threads never see each other's maps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from models import labels
from models.efficientnet_lite0 import EfficientNetLite0, load_pretrained
from models.fused import channels_last_copy, fused_copy
from models.preprocess import to_model_input, to_tensor
from models.stage_table import build_stage_table
from models.stages import STAGE_IDS

Target = int | str  # a class index, or a group name from ``labels.GROUPS``
R = TypeVar("R")
MODEL_THREADS = 4  # threads that run the network (the job gate's CPU slots, by default)


@dataclass(frozen=True)
class Analysis:
    """Everything one forward pass tells about one photo (NumPy, read-only by convention)."""

    crop: np.ndarray  # (224, 224, 3) uint8: what the model saw
    probs: np.ndarray  # (1000,) float32
    top5: list[tuple[int, str, float]]
    groups: dict[str, float]
    activations: dict[str, np.ndarray]  # id -> (C, h, w) float32
    pooled: np.ndarray  # (1280,) float32: the global-average-pooled features


@dataclass(frozen=True)
class Explanation:
    """Grad-CAM of every stage and gradient-x-activation per channel, for one target."""

    target: Target
    cams: dict[str, np.ndarray]  # stage id -> (h, w) float32, ReLU'd, unnormalised
    channel_scores: dict[str, np.ndarray]  # stage id -> (C,) float32


def target_score(logits: torch.Tensor, target: Target) -> torch.Tensor:
    """The scalar Grad-CAM differentiates: a class logit, or for a group the
    log-sum-exp of its logits (a smooth maximum: the group's own 'logit')."""
    if isinstance(target, str):
        return torch.logsumexp(logits[0, labels.GROUPS[target]], dim=0)
    return logits[0, target]


class ModelService:
    """EfficientNet-Lite0 behind plain methods taking ``(H, W, 3) uint8`` RGB photos."""

    def __init__(self, model: EfficientNetLite0, workers: int = MODEL_THREADS) -> None:
        self.model = model  # the reference: frozen, unfolded, module paths as in the weights
        # What forwards and backwards run on (models.fused): channels-last for the maps and
        # Grad-CAM, batch norm folded too for the features Teach trains on.
        self.fast = channels_last_copy(model)
        self.fused = fused_copy(model)
        self.parameter_count = sum(p.numel() for p in model.parameters())
        self._table = build_stage_table(model)
        # Every forward and backward runs on these few threads. A thread that has run the
        # network keeps about 24 MB for itself until it ends (measured: 20 threads, one
        # analysis each, 475 MB more in use, all of it back once they exited), and requests
        # arrive on any of the server's ~70 threads: 50 clients at once kept 1.1 GB that way.
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model",
                                           initializer=_mark_model_thread)

    @classmethod
    def load(cls, threads: int = 1, workers: int = MODEL_THREADS) -> ModelService:
        """Load the packaged weights; ``threads`` sets torch's intra-op threads (process-wide:
        one thread keeps tail latency low when analyses share the box with kernel edits);
        ``workers`` is how many forwards or backwards may run at once."""
        torch.set_num_threads(threads)
        return cls(load_pretrained(), workers)

    def _on_model_thread(self, fn: Callable[..., R], *args: object) -> R:
        """``fn(*args)`` on one of the model's threads (at once when already on one)."""
        if getattr(_thread, "runs_model", False):
            return fn(*args)
        return self._threads.submit(fn, *args).result()

    def analyse(self, rgb_u8: np.ndarray) -> Analysis:
        """One forward pass: predictions and every activation."""
        return self._on_model_thread(self._analyse, rgb_u8)

    def _analyse(self, rgb_u8: np.ndarray) -> Analysis:
        crop, x = to_model_input(rgb_u8)
        with torch.inference_mode():  # thread-local: set on the model thread running it
            # Block internals (expand/depthwise/project) are 80% of the bytes; they are
            # recomputed per block on demand (``block_parts``) instead of cached here.
            logits, acts = self.fast.forward_stages(_channels_last(x), parts=False)
            probs = torch.softmax(logits, dim=1)[0].numpy()  # (1000,)
        top = np.argsort(-probs, kind="stable")[:5]
        pooled = acts.pop("pool")[0].numpy()
        return Analysis(
            crop=crop, probs=probs,
            top5=[(int(i), labels.NAMES[i], float(probs[i])) for i in top],
            groups=labels.group_probs(probs),
            activations={k: v[0].contiguous().numpy() for k, v in acts.items()},  # (C, h, w)
            pooled=pooled)

    def explain(self, activations: dict[str, np.ndarray], target: Target,
                start: str = "stem", classifier: torch.nn.Module | None = None) -> Explanation:
        """Grad-CAM and channel scores at ``start`` and every later stage.

        Resumes the network at ``start``'s cached activation (from ``analyse``), so
        no forward runs twice and the backward only covers the layers after it.
        Grad-CAM at maps ``A`` (C, h, w): weights ``w_c`` are the spatial mean of
        ``d score / d A_c``; the map is ``ReLU(sum_c w_c A_c)``. The channel score
        is ``sum_{h,w} A_c * d score / d A_c`` (gradient x activation).
        ``classifier`` swaps in a transfer-learned head (then ``target`` is its class).
        """
        if start not in STAGE_IDS:
            raise KeyError(start)
        return self._on_model_thread(self._explain, activations, target, start, classifier)

    def _explain(self, activations: dict[str, np.ndarray], target: Target, start: str,
                 classifier: torch.nn.Module | None) -> Explanation:
        a0 = _channels_last(torch.from_numpy(np.array(activations[start]))[None])  # own copy
        a0.requires_grad_(True)  # parameters are frozen: gradients flow to activations only
        with torch.enable_grad():
            logits, acts = self.fast.forward_from(start, a0, classifier)
            stages = list(acts)
            grads = torch.autograd.grad(target_score(logits, target), list(acts.values()))
        cams, scores = {}, {}
        with torch.no_grad():
            for stage, g in zip(stages, grads, strict=True):
                a = acts[stage]
                weights = g.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1)
                cams[stage] = torch.relu((weights * a).sum(dim=1))[0].contiguous().numpy()
                scores[stage] = (g * a).sum(dim=(2, 3))[0].numpy()  # (C,)
        return Explanation(target, cams, scores)

    def block_parts(self, activations: dict[str, np.ndarray], block: str
                    ) -> dict[str, np.ndarray]:
        """The ``expand``/``depthwise``/``project`` maps of one block (``stage4.2``), by running
        just that block on its input from ``activations``: ids ``stage4.2.expand`` etc."""
        order = self.block_ids()
        if block not in order:
            raise KeyError(block)
        return self._on_model_thread(self._block_parts, activations, block, order)

    def _block_parts(self, activations: dict[str, np.ndarray], block: str, order: list[str]
                     ) -> dict[str, np.ndarray]:
        stage, j = block.split(".")
        module = getattr(self.fast, stage)[j]
        before = order[order.index(block) - 1] if order.index(block) else "stem"
        x = _channels_last(torch.from_numpy(np.array(activations[before]))[None])  # (1, C, h, w)
        with torch.inference_mode():
            _, parts = module.forward_parts(x)
        return {f"{block}.{name}": v[0].contiguous().numpy() for name, v in parts.items()}

    def block_ids(self) -> list[str]:
        """Every block in execution order: ``stage1.1``, ``stage2.1``, ``stage2.2``, ..."""
        return [f"{name}.{j}" for name, stage in self.model.named_stages()
                if name.startswith("stage") for j in range(1, len(stage) + 1)]

    def embed(self, crops_u8: list[np.ndarray]) -> np.ndarray:
        """Pooled features ``(N, 1280)`` of 224x224 crops, in one batch."""
        return self._on_model_thread(self._embed, crops_u8)

    def _embed(self, crops_u8: list[np.ndarray]) -> np.ndarray:
        x = torch.cat([to_tensor(c) for c in crops_u8])  # (N, 3, 224, 224)
        with torch.inference_mode():
            return self.fused.embed(_channels_last(x)).numpy()

    def stage_table(self) -> list[dict]:
        """Shape, stride, receptive field, parameters and multiply-adds of every stage."""
        return self._table

    def stem_filters(self) -> np.ndarray:
        """The 32 learned 3x3 kernels of the first conv, ``(32, 3, 3, 3)`` (out, RGB, h, w).

        Raw conv weights: batch norm is applied after them and is not folded in,
        so the patterns are exact and the scale is the conv's own."""
        return self.model.stem.conv.weight.detach().numpy().copy()


_thread = threading.local()


def _mark_model_thread() -> None:
    _thread.runs_model = True


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)
