"""The publisher: an arq worker that publishes claimed posts to their platforms."""
