"""Reference architectures built only from :mod:`convzoo.nn` layers.

Every model runs forward on random input and knows its native ``input_shape``;
:func:`convzoo.cost` and :func:`convzoo.summary` count them exactly, reproducing the
published multiply-accumulate and parameter counts (see ``notes/cost.md``).
"""

from ._common import Model
from .alexnet import alexnet
from .mobilenet_v1 import mobilenet_v1
from .mobilenet_v2 import mobilenet_v2
from .resnet import resnet
from .shufflenet_v1 import shufflenet_v1
from .vgg import vgg16
from .xception import xception

#: Name -> builder, for the CLI and the report.
MODELS = {
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
    "shufflenet_v1": shufflenet_v1,
    "resnet": resnet,
    "vgg16": vgg16,
    "alexnet": alexnet,
    "xception": xception,
}

__all__ = ["MODELS", "Model", *MODELS]
