"""Small pieces every Herald service shares: settings, errors, time, crypto, logging, health."""
