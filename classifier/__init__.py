"""Records in, Classification out: features, rules, the model and their combination."""
