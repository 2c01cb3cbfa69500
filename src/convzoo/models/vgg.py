"""VGG-16 (Simonyan & Zisserman 2015), configuration D: thirteen 3x3 convolutions.

Five stages of 3x3 convolutions (padding 1, bias, ReLU) separated by 2x2 max pools, then
three fully connected layers (4096, 4096, 1000) with dropout, as in torchvision's
``vgg16`` (whose adaptive 7x7 average pool is the identity at 224x224 and is left out).

References
----------
K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 (arXiv:1409.1556).
"""

from __future__ import annotations

import numpy as np

from ..nn import Conv, Dropout, Flatten, Linear, MaxPool, ReLU, Sequential
from ._common import Model, make_rng

__all__ = ["vgg16", "VGG16_CONFIG"]

#: Output channels of each 3x3 convolution, "M" for a 2x2 max pool (configuration D).
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                512, 512, 512, "M")  # fmt: skip


def vgg16(resolution: int = 224, num_classes: int = 1000, *, rng=None,
          dtype=np.float64) -> Model:  # fmt: skip
    """VGG-16 for ``resolution x resolution`` inputs (a multiple of 32).

    Parameters
    ----------
    resolution : int
        224 in the paper; the first fully connected layer takes
        ``512 * (resolution/32)**2`` features.
    num_classes : int
    rng, dtype

    Returns
    -------
    Model
        torchvision's names: ``features.0`` ... ``features.30``, ``flatten``,
        ``classifier.0`` ... ``classifier.6``.

    Examples
    --------
    >>> import numpy as np
    >>> model = vgg16(resolution=32, num_classes=10, dtype=np.float32)
    >>> model(np.zeros(model.input_shape, np.float32)).shape
    (1, 10)
    """
    if not isinstance(resolution, int) or resolution < 32 or resolution % 32:
        raise ValueError(f"vgg16: resolution must be a positive multiple of 32; got {resolution!r}")
    rng, kw = make_rng(rng), {"dtype": dtype}
    features, c_in = [], 3
    for item in VGG16_CONFIG:
        if item == "M":
            features.append(MaxPool(2, 2, **kw))
        else:
            features += [Conv(c_in, item, 3, 1, 1, rng=rng, **kw), ReLU(**kw)]
            c_in = item
    side = resolution // 32
    classifier = [
        Linear(512 * side * side, 4096, rng=rng, **kw), ReLU(**kw), Dropout(0.5, **kw),
        Linear(4096, 4096, rng=rng, **kw), ReLU(**kw), Dropout(0.5, **kw),
        Linear(4096, num_classes, rng=rng, **kw),
    ]  # fmt: skip
    layers = {"features": Sequential(*features), "flatten": Flatten(**kw),
              "classifier": Sequential(*classifier)}  # fmt: skip
    return Model(
        layers, input_shape=(1, 3, resolution, resolution), name="VGG-16",
        paper="Simonyan & Zisserman 2015, Very Deep Convolutional Networks, arXiv:1409.1556",
    )  # fmt: skip
