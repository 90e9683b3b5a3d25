"""``make demo``: the whole of Herald against a running ``make run``, in about a minute."""
