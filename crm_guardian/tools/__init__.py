# Plain-Python helpers (no models): see each module.
