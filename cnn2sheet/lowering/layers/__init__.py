"""Built-in layer lowerings; importing this package registers them all."""

from cnn2sheet.lowering.layers import conv, core, dense, pooling  # noqa: F401
