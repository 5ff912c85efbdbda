# Extract ikev2.rsp from the CAVP zip into WORK_DIR and run the vector
# runner on it. A missing zip is reported as skipped (exit 0).
#
#   cmake -DRUNNER=<tcpsec-vectors> -DZIP=<ikev2.zip> -DWORK_DIR=<dir>
#         -P run_zipped_rsp.cmake
if(NOT EXISTS "${ZIP}")
  message("skipped: ${ZIP} is absent")
  return()
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND ${CMAKE_COMMAND} -E tar xf "${ZIP}"
                WORKING_DIRECTORY "${WORK_DIR}"
                RESULT_VARIABLE extract_result)
if(NOT extract_result EQUAL 0 OR NOT EXISTS "${WORK_DIR}/ikev2.rsp")
  message(FATAL_ERROR "cannot extract ikev2.rsp from ${ZIP}")
endif()

execute_process(COMMAND "${RUNNER}" "${WORK_DIR}/ikev2.rsp"
                RESULT_VARIABLE run_result)
if(NOT run_result EQUAL 0)
  message(FATAL_ERROR "tcpsec-vectors failed on ${WORK_DIR}/ikev2.rsp")
endif()
