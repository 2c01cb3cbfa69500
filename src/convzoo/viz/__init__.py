"""convzoo.viz: animations and figures drawn from the library's own computations.

matplotlib and pillow are needed to draw (``pip install convzoo[viz]``); the frame data
(:mod:`convzoo.viz.frames`) is plain NumPy.
"""

from .animate import Animation, animate
from .arithmetic import CONFIGURATIONS, arithmetic_scene
from .frames import Frame, Grid, Scene, conv_scene
from .scenes import available, scene_for
from .transposed import transposed_scene

__all__ = [
    "CONFIGURATIONS",
    "Animation",
    "Frame",
    "Grid",
    "Scene",
    "animate",
    "arithmetic_scene",
    "available",
    "conv_scene",
    "scene_for",
    "transposed_scene",
]
