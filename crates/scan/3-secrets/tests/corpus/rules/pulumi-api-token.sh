export PULUMI_ACCESS_TOKEN={{fake:pul-:hex:40}}
