"""(being written) nn.utils."""
