"""The catalog of layers: convolutions, the gated RNN and AttentionRNN(k / inf)."""
