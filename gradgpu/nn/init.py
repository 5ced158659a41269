"""(being written) nn.init: weight initializers."""
