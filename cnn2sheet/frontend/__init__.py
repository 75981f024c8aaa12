"""Front end: read a Keras model into the compiler's graph of layer applications."""

from cnn2sheet.frontend.graph import Graph, Op, TensorInfo, build_graph
from cnn2sheet.frontend.loader import load_model

__all__ = ["Graph", "Op", "TensorInfo", "build_graph", "load_model"]
