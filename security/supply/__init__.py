"""Supply-chain controllability figures (替代率) and end of support of products and hosts (第二十四条)."""
