curl -X POST -F token={{fake:glptt-:hex:40}} -F ref=main https://gitlab.invalid/api/v4/projects/9/trigger/pipeline
