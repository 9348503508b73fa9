"""SNS in the local cloud: moto answers the API; the kit delivers email (a local inbox) and HTTP(S)."""
