"""Cloud migration: hosting state, migration plans and waves, the city-cloud service catalogue."""
