"""Platform adapters: one package per platform behind the :class:`PlatformAdapter` protocol."""
