"""AlexNet (Krizhevsky et al. 2012), with the two-GPU grouped convolutions.

The original network on a 227x227 input (the Caffe reference; the paper's "224" does not
give its 55x55 first feature map): conv1 96 11x11/4, conv2 256 5x5, conv3 384 3x3, conv4
384 3x3, conv5 256 3x3, with conv2, conv4 and conv5 split in two groups — one per GPU,
the grouped convolution the seed describes — then three fully connected layers. Local
response normalisation (no multiply-accumulates, not a zoo layer) is left out.

References
----------
A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet Classification with Deep
Convolutional Neural Networks", NeurIPS 2012.
"""

from __future__ import annotations

import numpy as np

from ..nn import Conv, Dropout, Flatten, Linear, MaxPool, ReLU, Sequential
from ._common import Model, make_rng

__all__ = ["alexnet"]


def alexnet(grouped: bool = True, resolution: int = 227, num_classes: int = 1000, *,
            rng=None, dtype=np.float64) -> Model:  # fmt: skip
    """AlexNet; ``grouped=False`` gives the single-GPU version (every conv ungrouped).

    Parameters
    ----------
    grouped : bool
        Two groups in conv2, conv4 and conv5 (the original).
    resolution : int
        Input height and width, 227 for the original; the first fully connected layer
        takes the flattened size of the last feature map.
    num_classes : int
    rng, dtype

    Returns
    -------
    Model
        Children ``features`` (conv1, relu1, pool1, conv2, ...), ``flatten``,
        ``classifier`` (fc6, relu6, drop6, fc7, relu7, drop7, fc8).

    Examples
    --------
    >>> import convzoo
    >>> model = alexnet(resolution=67, num_classes=10)
    >>> convzoo.cost(model).output_shape
    (1, 10)
    """
    rng, kw = make_rng(rng), {"dtype": dtype}
    g = 2 if grouped else 1

    def conv(c_in, c_out, k, stride=1, padding=0, groups=1):
        return Conv(c_in, c_out, k, stride, padding, groups=groups, rng=rng, **kw)

    features = Sequential({
        "conv1": conv(3, 96, 11, 4), "relu1": ReLU(**kw), "pool1": MaxPool(3, 2, **kw),
        "conv2": conv(96, 256, 5, 1, 2, g), "relu2": ReLU(**kw), "pool2": MaxPool(3, 2, **kw),
        "conv3": conv(256, 384, 3, 1, 1), "relu3": ReLU(**kw),
        "conv4": conv(384, 384, 3, 1, 1, g), "relu4": ReLU(**kw),
        "conv5": conv(384, 256, 3, 1, 1, g), "relu5": ReLU(**kw), "pool5": MaxPool(3, 2, **kw),
    })  # fmt: skip
    try:
        flat = int(np.prod(features.output_shape((1, 3, resolution, resolution))[1:]))
    except ValueError as error:
        raise ValueError(f"alexnet: resolution={resolution} is too small: {error}") from error
    classifier = Sequential({
        "fc6": Linear(flat, 4096, rng=rng, **kw), "relu6": ReLU(**kw), "drop6": Dropout(0.5, **kw),
        "fc7": Linear(4096, 4096, rng=rng, **kw), "relu7": ReLU(**kw), "drop7": Dropout(0.5, **kw),
        "fc8": Linear(4096, num_classes, rng=rng, **kw),
    })  # fmt: skip
    layers = {"features": features, "flatten": Flatten(**kw), "classifier": classifier}
    return Model(
        layers, input_shape=(1, 3, resolution, resolution),
        name="AlexNet" + (" (grouped)" if grouped else ""),
        paper="Krizhevsky et al. 2012, ImageNet Classification with Deep CNNs",
    )  # fmt: skip
