const {measureDiscovery}=require("./lib/src/bench/discovery-scenario");
measureDiscovery(10000,1000).then(m=>{console.log(JSON.stringify(m));process.exit(0)},e=>{console.error(e);process.exit(1)});
