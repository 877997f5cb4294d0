"""Project templates: bundled notebooks (explore a dataset, train and evaluate a model,
forecast a time series) and those of configured directories, instantiated with the
dataset and options the user picks (``POST /projects`` with ``template``)."""
