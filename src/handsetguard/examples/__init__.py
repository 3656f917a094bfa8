"""The bundled example device (a dumpstate text designed for the demo)."""
