// Real fio 3.33 output, captured on the dev machine with:
//   fio --name=t --filename=/tmp/fiox --size=16m --rw=randrw --bs=4k --iodepth=4 --ioengine=io_uring --runtime=2 --time_based --output-format=json
//   fio --name=g --filename=/tmp/fiox --size=16m --rw=randread --bs=4k --iodepth=4 --ioengine=io_uring --runtime=2 --time_based --group_reporting --numjobs=2 --output-format=json
// Kept as Swift literals so the test target needs no resource declaration.
enum FioFixtures {
    static let randrw = #"""
{
  "fio version" : "fio-3.33",
  "timestamp" : 1795734873,
  "timestamp_ms" : 1795734873465,
  "time" : "Thu Nov 26 23:14:33 2026",
  "jobs" : [
    {
      "jobname" : "t",
      "groupid" : 0,
      "error" : 0,
      "eta" : 0,
      "elapsed" : 3,
      "job options" : {
        "name" : "t",
        "filename" : "/tmp/fiox",
        "size" : "16m",
        "rw" : "randrw",
        "bs" : "4k",
        "iodepth" : "4",
        "ioengine" : "io_uring",
        "runtime" : "2"
      },
      "read" : {
        "io_bytes" : 293777408,
        "io_kbytes" : 286892,
        "bw_bytes" : 146815296,
        "bw" : 143374,
        "iops" : 35843.578211,
        "runtime" : 2001,
        "total_ios" : 71723,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 1839,
          "max" : 268361,
          "mean" : 6596.225883,
          "stddev" : 4552.840919,
          "N" : 71723
        },
        "clat_ns" : {
          "min" : 104,
          "max" : 20646996,
          "mean" : 70056.854301,
          "stddev" : 500627.818162,
          "N" : 71723,
          "percentile" : {
            "1.000000" : 22144,
            "5.000000" : 31616,
            "10.000000" : 36096,
            "20.000000" : 41216,
            "30.000000" : 45312,
            "40.000000" : 48896,
            "50.000000" : 51968,
            "60.000000" : 55040,
            "70.000000" : 58624,
            "80.000000" : 62208,
            "90.000000" : 68096,
            "95.000000" : 76288,
            "99.000000" : 130560,
            "99.500000" : 222208,
            "99.900000" : 11993088,
            "99.950000" : 15269888,
            "99.990000" : 18743296
          }
        },
        "lat_ns" : {
          "min" : 1988,
          "max" : 20655776,
          "mean" : 76653.080183,
          "stddev" : 500650.872920,
          "N" : 71723
        },
        "bw_min" : 137448,
        "bw_max" : 152016,
        "bw_agg" : 100.000000,
        "bw_mean" : 144698.666667,
        "bw_dev" : 7284.228808,
        "bw_samples" : 3,
        "iops_min" : 34362,
        "iops_max" : 38004,
        "iops_mean" : 36174.666667,
        "iops_stddev" : 1821.057202,
        "iops_samples" : 3
      },
      "write" : {
        "io_bytes" : 291631104,
        "io_kbytes" : 284796,
        "bw_bytes" : 145742680,
        "bw" : 142326,
        "iops" : 35581.709145,
        "runtime" : 2001,
        "total_ios" : 71199,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 387,
          "max" : 74703,
          "mean" : 2230.808466,
          "stddev" : 2323.971462,
          "N" : 71199
        },
        "clat_ns" : {
          "min" : 285,
          "max" : 19390504,
          "mean" : 24375.135213,
          "stddev" : 328746.394109,
          "N" : 71199,
          "percentile" : {
            "1.000000" : 4704,
            "5.000000" : 7520,
            "10.000000" : 10432,
            "20.000000" : 12352,
            "30.000000" : 13504,
            "40.000000" : 14528,
            "50.000000" : 15552,
            "60.000000" : 17024,
            "70.000000" : 18816,
            "80.000000" : 21888,
            "90.000000" : 27776,
            "95.000000" : 32128,
            "99.000000" : 45824,
            "99.500000" : 57088,
            "99.900000" : 201728,
            "99.950000" : 321536,
            "99.990000" : 17432576
          }
        },
        "lat_ns" : {
          "min" : 3078,
          "max" : 19392087,
          "mean" : 26605.943679,
          "stddev" : 328740.531827,
          "N" : 71199
        },
        "bw_min" : 135488,
        "bw_max" : 151840,
        "bw_agg" : 100.000000,
        "bw_mean" : 144088.000000,
        "bw_dev" : 8208.916128,
        "bw_samples" : 3,
        "iops_min" : 33872,
        "iops_max" : 37960,
        "iops_mean" : 36022.000000,
        "iops_stddev" : 2052.229032,
        "iops_samples" : 3
      },
      "trim" : {
        "io_bytes" : 0,
        "io_kbytes" : 0,
        "bw_bytes" : 0,
        "bw" : 0,
        "iops" : 0.000000,
        "runtime" : 0,
        "total_ios" : 0,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "clat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "lat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "bw_min" : 0,
        "bw_max" : 0,
        "bw_agg" : 0.000000,
        "bw_mean" : 0.000000,
        "bw_dev" : 0.000000,
        "bw_samples" : 0,
        "iops_min" : 0,
        "iops_max" : 0,
        "iops_mean" : 0.000000,
        "iops_stddev" : 0.000000,
        "iops_samples" : 0
      },
      "sync" : {
        "total_ios" : 0,
        "lat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        }
      },
      "job_runtime" : 2000,
      "usr_cpu" : 6.850000,
      "sys_cpu" : 45.750000,
      "ctx" : 38125,
      "majf" : 0,
      "minf" : 14,
      "iodepth_level" : {
        "1" : 0.100000,
        "2" : 0.100000,
        "4" : 99.997901,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        ">=64" : 0.000000
      },
      "iodepth_submit" : {
        "0" : 0.000000,
        "4" : 100.000000,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        "64" : 0.000000,
        ">=64" : 0.000000
      },
      "iodepth_complete" : {
        "0" : 0.000000,
        "4" : 100.000000,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        "64" : 0.000000,
        ">=64" : 0.000000
      },
      "latency_ns" : {
        "2" : 0.000000,
        "4" : 0.000000,
        "10" : 0.000000,
        "20" : 0.000000,
        "50" : 0.000000,
        "100" : 0.000000,
        "250" : 0.010000,
        "500" : 0.013994,
        "750" : 0.010000,
        "1000" : 0.010000
      },
      "latency_us" : {
        "2" : 0.010495,
        "4" : 0.347742,
        "10" : 4.113433,
        "20" : 33.217419,
        "50" : 33.686906,
        "100" : 27.533900,
        "250" : 0.794839,
        "500" : 0.156029,
        "750" : 0.033585,
        "1000" : 0.010000
      },
      "latency_ms" : {
        "2" : 0.010000,
        "4" : 0.010000,
        "10" : 0.000000,
        "20" : 0.069269,
        "50" : 0.010000,
        "100" : 0.000000,
        "250" : 0.000000,
        "500" : 0.000000,
        "750" : 0.000000,
        "1000" : 0.000000,
        "2000" : 0.000000,
        ">=2000" : 0.000000
      },
      "latency_depth" : 4,
      "latency_target" : 0,
      "latency_percentile" : 100.000000,
      "latency_window" : 0
    }
  ],
  "disk_util" : [
    {
      "name" : "vda",
      "read_ios" : 66795,
      "write_ios" : 32835,
      "read_merges" : 0,
      "write_merges" : 0,
      "read_ticks" : 2907,
      "write_ticks" : 17390,
      "in_queue" : 20298,
      "util" : 78.252033
    }
  ]
}
"""#

    static let groupReporting = #"""
{
  "fio version" : "fio-3.33",
  "timestamp" : 1795734881,
  "timestamp_ms" : 1795734881664,
  "time" : "Thu Nov 26 23:14:41 2026",
  "jobs" : [
    {
      "jobname" : "g",
      "groupid" : 0,
      "error" : 0,
      "eta" : 0,
      "elapsed" : 3,
      "job options" : {
        "name" : "g",
        "filename" : "/tmp/fiox",
        "size" : "16m",
        "rw" : "randread",
        "bs" : "4k",
        "iodepth" : "4",
        "ioengine" : "io_uring",
        "runtime" : "2",
        "numjobs" : "2"
      },
      "read" : {
        "io_bytes" : 1150992384,
        "io_kbytes" : 1124016,
        "bw_bytes" : 575208587,
        "bw" : 561727,
        "iops" : 140431.784108,
        "runtime" : 2001,
        "total_ios" : 281004,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 643,
          "max" : 158834,
          "mean" : 3768.087796,
          "stddev" : 3277.942236,
          "N" : 281004
        },
        "clat_ns" : {
          "min" : 61,
          "max" : 3162513,
          "mean" : 51952.851981,
          "stddev" : 72085.572340,
          "N" : 281004,
          "percentile" : {
            "1.000000" : 66,
            "5.000000" : 69,
            "10.000000" : 141,
            "20.000000" : 2416,
            "30.000000" : 4576,
            "40.000000" : 7456,
            "50.000000" : 52480,
            "60.000000" : 80384,
            "70.000000" : 86528,
            "80.000000" : 97792,
            "90.000000" : 107008,
            "95.000000" : 114176,
            "99.000000" : 150528,
            "99.500000" : 195584,
            "99.900000" : 798720,
            "99.950000" : 1482752,
            "99.990000" : 2211840
          }
        },
        "lat_ns" : {
          "min" : 802,
          "max" : 3164763,
          "mean" : 55720.939777,
          "stddev" : 73138.897735,
          "N" : 281004
        },
        "bw_min" : 536784,
        "bw_max" : 561824,
        "bw_agg" : 98.431599,
        "bw_mean" : 552917.333333,
        "bw_dev" : 6262.575232,
        "bw_samples" : 6,
        "iops_min" : 134196,
        "iops_max" : 140456,
        "iops_mean" : 138229.333333,
        "iops_stddev" : 1565.643808,
        "iops_samples" : 6
      },
      "write" : {
        "io_bytes" : 0,
        "io_kbytes" : 0,
        "bw_bytes" : 0,
        "bw" : 0,
        "iops" : 0.000000,
        "runtime" : 0,
        "total_ios" : 0,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "clat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "lat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "bw_min" : 0,
        "bw_max" : 0,
        "bw_agg" : 0.000000,
        "bw_mean" : 0.000000,
        "bw_dev" : 0.000000,
        "bw_samples" : 0,
        "iops_min" : 0,
        "iops_max" : 0,
        "iops_mean" : 0.000000,
        "iops_stddev" : 0.000000,
        "iops_samples" : 0
      },
      "trim" : {
        "io_bytes" : 0,
        "io_kbytes" : 0,
        "bw_bytes" : 0,
        "bw" : 0,
        "iops" : 0.000000,
        "runtime" : 0,
        "total_ios" : 0,
        "short_ios" : 0,
        "drop_ios" : 0,
        "slat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "clat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "lat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        },
        "bw_min" : 0,
        "bw_max" : 0,
        "bw_agg" : 0.000000,
        "bw_mean" : 0.000000,
        "bw_dev" : 0.000000,
        "bw_samples" : 0,
        "iops_min" : 0,
        "iops_max" : 0,
        "iops_mean" : 0.000000,
        "iops_stddev" : 0.000000,
        "iops_samples" : 0
      },
      "sync" : {
        "total_ios" : 0,
        "lat_ns" : {
          "min" : 0,
          "max" : 0,
          "mean" : 0.000000,
          "stddev" : 0.000000,
          "N" : 0
        }
      },
      "job_runtime" : 4000,
      "usr_cpu" : 5.625000,
      "sys_cpu" : 32.925000,
      "ctx" : 35785,
      "majf" : 0,
      "minf" : 33,
      "iodepth_level" : {
        "1" : 0.100000,
        "2" : 0.100000,
        "4" : 99.997865,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        ">=64" : 0.000000
      },
      "iodepth_submit" : {
        "0" : 0.000000,
        "4" : 100.000000,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        "64" : 0.000000,
        ">=64" : 0.000000
      },
      "iodepth_complete" : {
        "0" : 0.000000,
        "4" : 100.000000,
        "8" : 0.000000,
        "16" : 0.000000,
        "32" : 0.000000,
        "64" : 0.000000,
        ">=64" : 0.000000
      },
      "latency_ns" : {
        "2" : 0.000000,
        "4" : 0.000000,
        "10" : 0.000000,
        "20" : 0.000000,
        "50" : 0.000000,
        "100" : 7.793127,
        "250" : 5.919133,
        "500" : 0.493587,
        "750" : 0.017437,
        "1000" : 0.010000
      },
      "latency_us" : {
        "2" : 4.630183,
        "4" : 8.092767,
        "10" : 17.296195,
        "20" : 4.613102,
        "50" : 1.022761,
        "100" : 32.723022,
        "250" : 17.024669,
        "500" : 0.144126,
        "750" : 0.096084,
        "1000" : 0.053380
      },
      "latency_ms" : {
        "2" : 0.056583,
        "4" : 0.017793,
        "10" : 0.000000,
        "20" : 0.000000,
        "50" : 0.000000,
        "100" : 0.000000,
        "250" : 0.000000,
        "500" : 0.000000,
        "750" : 0.000000,
        "1000" : 0.000000,
        "2000" : 0.000000,
        ">=2000" : 0.000000
      },
      "latency_depth" : 4,
      "latency_target" : 0,
      "latency_percentile" : 100.000000,
      "latency_window" : 0
    }
  ],
  "disk_util" : [
    {
      "name" : "vda",
      "read_ios" : 134232,
      "write_ios" : 1115,
      "read_merges" : 0,
      "write_merges" : 94,
      "read_ticks" : 11110,
      "write_ticks" : 150,
      "in_queue" : 11259,
      "util" : 87.017544
    }
  ]
}
"""#
}
