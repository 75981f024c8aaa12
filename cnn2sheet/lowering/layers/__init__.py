"""Built-in layer lowerings; importing this package registers them all."""

from cnn2sheet.lowering.layers import (  # noqa: F401
    activation_layers,
    attention,
    conv,
    conv_transpose,
    core,
    dense,
    depthwise,
    embedding,
    global_pool,
    merge,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    shape,
    upsampling,
    wrappers,
)
