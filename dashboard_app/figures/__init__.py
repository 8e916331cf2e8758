"""Figure builders: analysis result + theme → plotly figure, one module per tab."""
