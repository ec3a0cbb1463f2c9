"""Pipeline stages: evolve, eliminate, answer, response filters, dedup, decontamination."""
